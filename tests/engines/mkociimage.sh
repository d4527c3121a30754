#!/usr/bin/env bash
# mkociimage.sh OUT.tar NAME ROOTFS.tar [ENTRYPOINT-JSON [CMD-JSON]]
#
# Writes an OCI image-layout tarball (oci-layout, index.json, one manifest,
# one config, one uncompressed layer) whose single layer is ROOTFS.tar, for
# `ctr images import` (there is no registry here). NAME is the full image
# reference, e.g. docker.io/library/busybox:hutch.
set -euo pipefail

die() { echo "mkociimage: $*" >&2; exit 1; }
[ $# -ge 3 ] && [ $# -le 5 ] || die "usage: $0 OUT.tar NAME ROOTFS.tar [ENTRYPOINT-JSON [CMD-JSON]]"
out=$1 name=$2 layer=$3 entrypoint=${4:-null} cmd=${5:-'["/bin/sh"]'}
[ -f "$layer" ] || die "no rootfs tarball at $layer"

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/blobs/sha256"

# blob FILE: moves FILE into blobs/ and prints "DIGEST SIZE".
blob() {
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$dir/blobs/sha256/$d"
	echo "sha256:$d $s"
}

cp "$layer" "$dir/layer"
read -r layer_digest layer_size < <(blob "$dir/layer")

# The layer is uncompressed, so its diff_id is its digest.
jq -n --arg arch "$arch" --arg diff "$layer_digest" \
	--argjson ep "$entrypoint" --argjson cmd "$cmd" '{
	architecture: $arch, os: "linux",
	config: ({Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		Cmd: $cmd, WorkingDir: "/"} + (if $ep == null then {} else {Entrypoint: $ep} end)),
	rootfs: {type: "layers", diff_ids: [$diff]}
}' >"$dir/config"
read -r config_digest config_size < <(blob "$dir/config")

jq -n --arg cd "$config_digest" --argjson cs "$config_size" \
	--arg ld "$layer_digest" --argjson ls "$layer_size" '{
	schemaVersion: 2,
	mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
	layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]
}' >"$dir/manifest"
read -r manifest_digest manifest_size < <(blob "$dir/manifest")

# io.containerd.image.name is the name `ctr images import` gives the image.
jq -n --arg md "$manifest_digest" --argjson ms "$manifest_size" \
	--arg name "$name" --arg arch "$arch" '{
	schemaVersion: 2,
	manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		digest: $md, size: $ms,
		platform: {architecture: $arch, os: "linux"},
		annotations: {"io.containerd.image.name": $name,
			"org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]
}' >"$dir/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"

tar -C "$dir" -cf "$out" oci-layout index.json blobs
