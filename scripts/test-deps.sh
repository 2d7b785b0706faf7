#!/usr/bin/env bash
# Installs what `make test` needs beyond Go, on Debian: Chromium (browser
# tests), Node (the core's tests under WebAssembly), Slurm and munge (the
# cluster test), fonts for screenshots, dcmtk and dicom3tools (the DICOM SR
# checks), poppler-utils (the printed report's text). Only what is missing; as root, or
# through sudo.
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
command -v dsrdump >/dev/null || need+=(dcmtk)        # DICOM SR checks (core/clinical/sr)
command -v dciodvfy >/dev/null || need+=(dicom3tools) # DICOM IOD checks (core/clinical/sr)
command -v pdftotext >/dev/null || need+=(poppler-utils) # printed report's text (e2e)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "test-deps: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
		exit 1
	fi
	sudo="sudo"
fi
echo "test-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
