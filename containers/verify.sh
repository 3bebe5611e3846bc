#!/usr/bin/env bash
# Proves containers/permrsa.def by building what it describes, without Apptainer (which Debian
# bookworm does not package):
#   1. debootstrap a fresh root filesystem exactly as Apptainer's debootstrap agent does
#      (same variant, excludes and includes; OSVersion and MirrorURL read from the .def header);
#   2. copy the %files entries into it (sources relative to the repository root);
#   3. run the .def's %post in it via chroot, as Apptainer does: /bin/sh -ex, clean environment,
#      working directory /, the host's resolv.conf and hosts;
#   4. install %environment, %runscript and %test where Apptainer puts them (/.singularity.d);
#   5. run, in a READ-ONLY view of the root filesystem (as `apptainer test/run/exec` see a SIF)
#      with a writable /tmp bound from the host: %test; the %runscript on the synthetic demo;
#      and the `apptainer exec permrsa.sif mpirun -n 2 ...` line of containers/README.md;
#   6. run that same README line outside (a host build of the same tree with the same flags)
#      and compare the two HDF5 results with h5diff (no tolerance).
# Every section is extracted from the .def by containers/def-section.sh, never copied.
# Exits non-zero if any step fails; prints each step's time. Needs root, debootstrap, a C++
# toolchain and the packages of .ci/debian-packages.txt on the host (for the outside run).
#
# Environment:
#   PERMRSA_ROOTFS              where to build (default /var/tmp/permrsa-rootfs-<time>); must be
#                               absent or empty. Kept afterwards for inspection (chroot into it).
#   PERMRSA_DEBOOTSTRAP_TARBALL optional cache of step 1: reused if the file exists, else made
#                               (debootstrap --make-tarball) and then used. Default: none, fresh.
#   PERMRSA_SEED_DATA           the real data folder to bind at /data/seed-eeg-vgg16 for %test
#                               (default: tools/seed_data.py's lookup, i.e. ../shared/data/
#                               seed-eeg-vgg16 beside the checkout or the fetch tool's cache).
#   PERMRSA_HOST_BIN            a host permrsa binary for step 6 (default: build one).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
def="$repo/containers/permrsa.def"
section() { sh "$repo/containers/def-section.sh" "$def" "$@"; }
die() { echo "verify.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot and mounts)"
for tool in debootstrap chroot mount umount h5diff mpirun cmake; do
  command -v "$tool" > /dev/null || die "$tool is not installed"
done

started=$(date +%s)
timings=()
step() {  # step NAME COMMAND...: runs one step, records its duration
  local name=$1 t0 t1
  shift
  echo "==== $name"
  t0=$(date +%s)
  "$@"
  t1=$(date +%s)
  timings+=("$(printf '%-44s %6d s' "$name" $((t1 - t0)))")
  echo "==== $name: done in $((t1 - t0)) s"
}

# ---- the .def header -----------------------------------------------------------------------
bootstrap="$(section header Bootstrap)"
[ "$bootstrap" = debootstrap ] || die "$def: Bootstrap is '$bootstrap', this script proves debootstrap only"
osversion="$(section header OSVersion)"
mirror="$(section header MirrorURL)"
include="$(section header Include 2> /dev/null || true)"

rootfs="${PERMRSA_ROOTFS:-/var/tmp/permrsa-rootfs-$(date +%Y%m%d-%H%M%S)}"
if [ -e "$rootfs" ] && [ -n "$(ls -A "$rootfs")" ]; then
  die "$rootfs exists and is not empty: a verification starts from a fresh root filesystem"
fi
mkdir -p "$rootfs"
rootfs="$(cd "$rootfs" && pwd)"
view="$rootfs.view"   # the read-only view used for %test, %runscript and exec
work="$rootfs.work"   # host side: /tmp of the container, the host build, the outputs
mkdir -p "$view" "$work/tmp"
echo "verify.sh: .def $def; rootfs $rootfs; suite $osversion from $mirror"

# ---- mounts, always undone -------------------------------------------------------------------
mounts_under() {  # prints the mount points under $1, deepest first
  awk -v p="$1" '$2 == p || index($2, p "/") == 1 { print $2 }' /proc/mounts | sort -r
}
cleanup() {
  local status=$? m
  for base in "$view" "$rootfs"; do
    for m in $(mounts_under "$base"); do umount "$m" 2> /dev/null || umount -l "$m" || true; done
  done
  if [ -n "$(mounts_under "$rootfs")$(mounts_under "$view")" ]; then
    echo "verify.sh: WARNING: mounts are left under $rootfs" >&2
  fi
  rm -f "$rootfs/.post.script"
  if [ "$status" -ne 0 ]; then echo "verify.sh: FAILED (exit $status) after $(($(date +%s) - started)) s" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mount_system() {  # mount_system ROOT: /proc, /sys, /dev (+pts, shm) as a container sees them
  local root=$1
  mount -t proc proc "$root/proc"
  mount --bind /sys "$root/sys"
  mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
  mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
}
unmount_all() { local m; for m in $(mounts_under "$1"); do [ "$m" = "$1" ] || umount "$m"; done; }

# ---- 1. debootstrap (Apptainer's arguments: conveyorPacker_debootstrap.go) -------------------
# shellcheck disable=SC2054  # the commas separate debootstrap's own lists
debootstrap_args=(--variant=minbase --exclude=openssl,udev,debconf-i18n,e2fsprogs
  "--include=apt,${include// /,}" "--arch=$(dpkg --print-architecture)")
make_base() {
  local tarball="${PERMRSA_DEBOOTSTRAP_TARBALL:-}"
  if [ -n "$tarball" ]; then
    if [ ! -f "$tarball" ]; then
      echo "making the debootstrap tarball $tarball"
      debootstrap "${debootstrap_args[@]}" --make-tarball="$tarball" "$osversion" "$work/tarball-tmp" "$mirror"
      rm -rf "$work/tarball-tmp"
    fi
    echo "NOTE: base packages from the cached tarball $tarball (PERMRSA_DEBOOTSTRAP_TARBALL)"
    debootstrap "${debootstrap_args[@]}" --unpack-tarball="$tarball" "$osversion" "$rootfs" "$mirror"
  else
    debootstrap "${debootstrap_args[@]}" "$osversion" "$rootfs" "$mirror"
  fi
  chmod 0755 "$rootfs"
}
step "debootstrap $osversion (fresh)" make_base

# ---- 2. %files ----------------------------------------------------------------------------------
copy_files() {
  local src dst rest
  while read -r src dst rest; do
    case "$src" in '' | '#'*) continue ;; esac
    [ -n "$dst" ] || dst="$src"
    [ -z "$rest" ] || die "%files line '$src $dst $rest': expected 'source destination'"
    (cd "$repo" && [ -e "$src" ]) || die "%files: $src does not exist in $repo"
    mkdir -p "$rootfs$(dirname "$dst")"
    echo "copy $src -> $dst"
    (cd "$repo" && cp -rL "$src" "$rootfs$dst")
  done < <(section files)
}
step "%files" copy_files

# ---- 3. %post ------------------------------------------------------------------------------------
# This machine's Debian mirror serves a dated snapshot, so the host's apt does not check the
# Release files' Valid-Until date; the chroot gets the same setting for %post only (a build on
# a live mirror needs nothing). Like Apptainer, the host's resolv.conf and hosts are used.
apt_host_conf="$rootfs/etc/apt/apt.conf.d/99permrsa-verify-host-mirror"
run_post() {
  section post > "$rootfs/.post.script"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  cp /etc/hosts "$rootfs/etc/hosts"
  if apt-config dump | grep -qi '^Acquire::Check-Valid-Until "false"'; then
    echo 'Acquire::Check-Valid-Until "false";' > "$apt_host_conf"
  fi
  mount_system "$rootfs"
  (cd / && chroot "$rootfs" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    APPTAINER_ENVIRONMENT=/.singularity.d/env/91-environment.sh \
    /bin/sh -ex /.post.script)
  unmount_all "$rootfs"
  rm -f "$rootfs/.post.script" "$apt_host_conf"
}
step "%post (install packages, build, install)" run_post

# ---- 4. the runtime files Apptainer writes into the image --------------------------------------
install_runtime() {
  mkdir -p "$rootfs/.singularity.d/env"
  section environment > "$rootfs/.singularity.d/env/90-environment.sh"
  { printf '#!/bin/sh\n\n'; section runscript; } > "$rootfs/.singularity.d/runscript"
  { printf '#!/bin/sh\n\n'; section test; } > "$rootfs/.singularity.d/test"
  chmod 0755 "$rootfs/.singularity.d/runscript" "$rootfs/.singularity.d/test"
  section labels > "$rootfs/.singularity.d/labels.txt"
  section help > "$rootfs/.singularity.d/runscript.help"
}
step "%environment, %runscript, %test, %labels, %help" install_runtime

# ---- 5. read-only view: %test, %runscript, exec ---------------------------------------------
seed="${PERMRSA_SEED_DATA:-$(/usr/bin/python3 "$repo/tools/seed_data.py" 2>/dev/null || true)}"
open_view() {
  mount --bind "$rootfs" "$view"
  mount -o remount,bind,ro "$view"
  mount_system "$view"
  mount --bind "$work/tmp" "$view/tmp"   # Apptainer binds the host's /tmp
  if [ -f "$seed/brain_rdms.npy" ]; then
    mount --bind "$seed" "$view/data/seed-eeg-vgg16"
    mount -o remount,bind,ro "$view/data/seed-eeg-vgg16"
    echo "real data bound: $seed -> /data/seed-eeg-vgg16"
  else
    echo "NOTE: no real data at $seed: the real-data cross-checks skip inside"
  fi
  if touch "$view/.writable-probe" 2> /dev/null; then die "the view $view is writable"; fi
}
in_container() {  # in_container DIR COMMAND...: as `apptainer exec --pwd DIR`, environment sourced
  local dir=$1
  shift
  # shellcheck disable=SC2016  # expanded by the shell inside
  chroot "$view" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TMPDIR=/tmp /bin/sh -c \
    'cd "$1" && shift && for f in /.singularity.d/env/*.sh; do . "$f"; done && exec "$@"' \
    sh "$dir" "$@"
}
step "read-only view (+ /tmp, data binds)" open_view
step "%test (ctest -LE slurm)" in_container / /.singularity.d/test

runscript_demo() {
  mkdir -p "$work/tmp/runscript-demo"
  in_container /tmp/runscript-demo /.singularity.d/runscript run --quiet
  [ -s "$work/tmp/runscript-demo/results.h5" ] || die "%runscript run wrote no results.h5"
  in_container /tmp/runscript-demo /.singularity.d/runscript info results.h5 | tee "$work/runscript-info.txt" | head -15
  grep -q . "$work/runscript-info.txt" || die "%runscript info printed nothing"
}
step "%runscript on the synthetic demo" runscript_demo

# The documented line: the first `apptainer exec permrsa.sif mpirun -n 2 ...` of containers/README.md.
doc_line="$(grep -m1 -E '^\s*apptainer exec permrsa\.sif mpirun -n 2 ' "$repo/containers/README.md" | sed -E 's/^\s+//; s/\s+#.*$//')"
[ -n "$doc_line" ] || die "containers/README.md has no 'apptainer exec permrsa.sif mpirun -n 2 ...' line"
doc_cmd="${doc_line#apptainer exec permrsa.sif }"
echo "documented line: $doc_line"
read -r -a doc_argv <<< "$doc_cmd"
exec_inside() {
  mkdir -p "$work/tmp/mpi-inside"
  in_container /tmp/mpi-inside "${doc_argv[@]}"
}
step "inside: ${doc_cmd}" exec_inside

# ---- 6. the same line outside, same source and flags, then h5diff ---------------------------
host_bin="${PERMRSA_HOST_BIN:-}"
build_host() {
  # The .def's configure flags, read from its %post (the host has the same Debian packages).
  local flags
  # shellcheck disable=SC1003  # removes the line continuations
  flags="$(section post | tr -d '\\' | tr '\n' ' ' | grep -o -- '-DCMAKE_BUILD_TYPE=[^ ]*\|-DPERMRSA_ARCH=[^ ]*\|-DPERMRSA_BUILD_BENCH=[^ ]*' | tr '\n' ' ')"
  echo "host build flags (from %post): $flags"
  # shellcheck disable=SC2086
  cmake -S "$repo" -B "$work/host-build" -G Ninja $flags -DPERMRSA_BUILD_TESTS=OFF > "$work/host-build.log"
  cmake --build "$work/host-build" --target permrsa -j"$(nproc)" >> "$work/host-build.log"
}
if [ -z "$host_bin" ]; then
  step "host build of permrsa (same tree, same flags)" build_host
  host_bin="$work/host-build/src/permrsa"
fi
[ -x "$host_bin" ] || die "host binary $host_bin is missing"
exec_outside() {
  mkdir -p "$work/mpi-outside"
  local shim="$work/host-path"
  mkdir -p "$shim" && ln -sfn "$host_bin" "$shim/permrsa"
  (cd "$work/mpi-outside" && env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    OMPI_MCA_rmaps_base_oversubscribe=true PATH="$shim:$PATH" "${doc_argv[@]}")
}
step "outside: ${doc_cmd}" exec_outside
compare() {
  local inside outside
  inside="$(find "$work/tmp/mpi-inside" -name '*.h5' | sort)"
  [ -n "$inside" ] || die "the documented line wrote no .h5 file inside"
  for f in $inside; do
    outside="$work/mpi-outside/${f#"$work/tmp/mpi-inside/"}"
    [ -f "$outside" ] || die "outside run wrote no ${f#"$work/tmp/mpi-inside/"}"
    echo "h5diff $f $outside"
    h5diff -r "$f" "$outside"
  done
}
step "h5diff inside vs outside (no tolerance)" compare

echo
echo "==== verify.sh: PASSED in $(($(date +%s) - started)) s"
printf '  %s\n' "${timings[@]}"
echo "  root filesystem kept at $rootfs (work files: $work)"
