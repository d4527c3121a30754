# Shared helpers for the engine tests: each tests/engines/<engine>.bats
# installs its engine from Debian's packages, starts it with private state
# and drives hutch through it exactly as users do.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HUTCH=${HUTCH:-$REPO/hutch}

# engine_install PKG...: apt-get install what is missing (CI starts clean).
engine_install() {
	local p missing=()
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y "${missing[@]}" >&2 ||
		{ apt-get update >&2 && apt-get install -y "${missing[@]}" >&2; }
}

# busybox_tarball FILE: a root filesystem tarball made from busybox-static
# (there is no registry here): what `podman import`, `docker import` and
# `ctr images import` are fed.
busybox_tarball() {
	local out=$1 dir
	dir=$(mktemp -d)
	env -u HUTCH -u ARGS "$REPO/hack/mkbundle.sh" "$dir/b" >&2
	tar -C "$dir/b/rootfs" -cf "$out" .
	rm -rf "$dir"
}
