#!/usr/bin/env bash
# mkbundle.sh DIR — make an OCI bundle at DIR whose rootfs is Debian's static
# busybox. Idempotent: rerunning refreshes the rootfs and re-applies the patch.
#
#   HUTCH=./hutch   write DIR/config.json with `$HUTCH spec` (kept if present)
#   ARGS='["/bin/sh","-c","echo hi"]'   process.args, as a JSON array
#
# Without HUTCH, config.json is left to the caller; an existing one is still
# patched (terminal false, ARGS) when jq is available.
set -euo pipefail

die() { echo "mkbundle: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: [HUTCH=bin] [ARGS=json-array] $0 DIR"
dir=$1

# A dynamically linked busybox (Debian's "busybox" package) would not run in
# a rootfs without libc, so only a static one will do.
is_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }

if ! is_static; then
	[ "$(id -u)" -eq 0 ] || die "/bin/busybox is missing or not static; as root: apt-get install busybox-static"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y busybox-static >/dev/null; then
		# A fresh machine may have no package lists yet.
		apt-get update >/dev/null
		apt-get install -y busybox-static >/dev/null
	fi
	is_static || die "/bin/busybox is still not a static binary after installing busybox-static"
fi

rootfs=$dir/rootfs
mkdir -p "$rootfs"
for d in bin sbin usr/bin usr/sbin etc tmp proc sys dev root home/hutch; do
	mkdir -p "$rootfs/$d"
done
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"

install -m 0755 /bin/busybox "$rootfs/bin/busybox"

# --list-full gives each applet's conventional directory (usr/bin/env,
# sbin/ip...); older busybox builds only have --list, which goes to bin/.
if applets=$(/bin/busybox --list-full 2>/dev/null) && [ -n "$applets" ]; then
	:
else
	applets=$(/bin/busybox --list | sed 's|^|bin/|')
fi
while IFS= read -r a; do
	[ -n "$a" ] && [ "$a" != bin/busybox ] || continue
	mkdir -p "$rootfs/$(dirname "$a")"
	ln -sfn /bin/busybox "$rootfs/$a"
done <<<"$applets"

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
hutch:x:1000:1000:hutch:/home/hutch:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
hutch:x:1000:
nogroup:x:65534:
GROUP
chown 1000:1000 "$rootfs/home/hutch" 2>/dev/null || true

config=$dir/config.json
if [ -n "${HUTCH:-}" ] && [ ! -e "$config" ]; then
	"$HUTCH" spec --bundle "$dir"
fi

if [ -e "$config" ]; then
	command -v jq >/dev/null || die "jq is needed to patch $config (apt-get install jq)"
	args=${ARGS:-null}
	printf '%s' "$args" | jq -e 'type == "array" or . == null' >/dev/null ||
		die "ARGS must be a JSON array, got: $args"
	tmp=$(mktemp "$config.XXXXXX")
	jq --argjson args "$args" \
		'.process.terminal = false | if $args != null then .process.args = $args else . end' \
		"$config" >"$tmp"
	mv "$tmp" "$config"
fi
