#!/usr/bin/env bash
# Installs what nodebackup needs from Debian 12's packages. Idempotent: when everything is
# already installed it does nothing (and needs no network).
set -euo pipefail

build_packages=(cmake g++ make pkg-config python3
  libboost-dev libboost-program-options-dev nlohmann-json3-dev libxxhash-dev
  libssh2-1-dev libspdlog-dev catch2 libsystemd-dev
  libzstd-dev libsodium-dev  # repository format 2: zstd blobs; BLAKE2b, XChaCha20, Argon2id
  libcurl4-openssl-dev  # notifications (webhooks, pings, mail) and the S3 backend go through libcurl
  libexpat1-dev  # the S3 backend's listings
  libarchive-dev  # the exec transport reads GNU tar's pax stream: xattrs, sparse maps
  attr acl libcap2-bin  # the metadata tests set and compare xattrs, ACLs and capabilities
  python3-aiosmtpd  # the notification tests' SMTP server
  openssh-server openssh-client procps
  ccache
  prometheus  # promtool: the tests check the metrics the daemon exports
  chromium  # headless, the dashboard's browser test loads its pages and takes screenshots
  openssl  # the dashboard's TLS test makes a certificate
  ceph-mon ceph-osd radosgw ceph-common curl)  # the S3 tests' Ceph cluster with RGW (scripts/rgw.sh)
# Only for bench/: the tools nodebackup is measured against.
bench_packages=(rsync restic borgbackup hyperfine time)
# Only for the Debian package and its test (packaging/build-deb.sh, tests/package/): CPack's
# Depends (dpkg-shlibdeps), lintian, systemd-analyze, and a Debian 12 root booted by nspawn.
package_packages=(dpkg-dev lintian systemd systemd-container debootstrap)
# Only for scripts/fuzz.sh: clang 16 and its libFuzzer runtime.
fuzz_packages=(clang-16 libclang-rt-16-dev)

wanted=("${build_packages[@]}")
for group in "$@"; do
  case $group in
    --bench) wanted+=("${bench_packages[@]}") ;;
    --package) wanted+=("${package_packages[@]}") ;;
    --fuzz) wanted+=("${fuzz_packages[@]}") ;;
    *) echo "usage: $0 [--bench] [--package] [--fuzz]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then exit 0; fi

echo "installing: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
# openssh-server and ceph are only for the tests' own sshd and RGW on 127.0.0.1: keep the packages
# from starting system-wide services (policy-rc.d 101 = "do not start services").
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
  $SUDO chmod +x $policy
  trap '$SUDO rm -f $policy' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
