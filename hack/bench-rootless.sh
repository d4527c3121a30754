#!/usr/bin/env bash
# bench-rootless.sh [HUTCH] — rootless against rootful `hutch run /bin/true`,
# interleaved in one hyperfine run. Run as root: it creates a temporary user
# with a subordinate id range and removes it afterwards. Both commands go
# through setpriv so that neither pays for a user switch the other skips.
#
#   RUNS=200 hack/bench-rootless.sh ./hutch
set -euo pipefail

hutch=$(realpath "${1:-./hutch}")
runs=${RUNS:-200}
user=hutch-bench-$$
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 1; }
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null
command -v newuidmap >/dev/null || apt-get install -y uidmap >/dev/null

work=$(mktemp -d /tmp/hutch-bench-rootless.XXXXXX)
cleanup() {
	"$hutch" --root "$work/root" delete --force rf >/dev/null 2>&1 || true
	userdel "$user" 2>/dev/null || true
	sed -i "/^$user:/d" /etc/subuid /etc/subgid
	rm -rf "$work"
}
trap cleanup EXIT

useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh "$user"
usermod --add-subuids 400000-465535 --add-subgids 400000-465535 "$user"
uid=$(id -u "$user")
gid=$(id -g "$user")
chmod 0755 "$work"
# The user runs the same root-owned binary (hutch runs it in place).
install -m 0755 "$hutch" "$work/hutch"

here=$(cd "$(dirname "$0")" && pwd)
env -u HUTCH -u ARGS "$here/mkbundle.sh" "$work/rootful" >/dev/null
cp -a "$work/rootful" "$work/rootless"
(cd "$work/rootful" && "$work/hutch" spec && jq '.process.terminal=false | .process.args=["/bin/true"]' config.json >c && mv c config.json)
chown -R "$uid:$gid" "$work/rootless"
mkdir -m 0700 "$work/xdg" && chown "$uid:$gid" "$work/xdg"
as_user() { setpriv --reuid "$uid" --regid "$gid" --clear-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin XDG_RUNTIME_DIR="$work/xdg" "$@"; }
(cd "$work/rootless" && as_user "$work/hutch" spec --rootless && as_user sh -c 'jq ".process.terminal=false | .process.args=[\"/bin/true\"]" config.json >c && mv c config.json')

hyperfine -N --warmup 10 --runs "$runs" --export-json "$work/result.json" \
	-n rootful "setpriv --reuid 0 --regid 0 --keep-groups $work/hutch --root $work/root run --bundle $work/rootful rf" \
	-n rootless "setpriv --reuid $uid --regid $gid --clear-groups env XDG_RUNTIME_DIR=$work/xdg $work/hutch run --bundle $work/rootless rl"
jq -r '.results[] | "\(.command): median \(.median*1000 | .*100|round/100) ms"' "$work/result.json"
jq -r '(.results[1].median / .results[0].median) as $r | "rootless/rootful median ratio: \($r*100|round/100)"' "$work/result.json"
