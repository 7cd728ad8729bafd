#!/usr/bin/env bash
# Builds the release: cli/target/custos.jar and cli/target/custos-<version>.tar.gz (the launcher,
# lib/custos.jar, LICENSE, NOTICE, README.md and examples/ under custos-<version>/), then checks
# the tarball with release/check.sh. Extra arguments go to Maven (-DskipTests is the default;
# pass -DskipTests=false to run the tests as well).
#
#   release/build.sh                # -> cli/target/custos-0.1.0-SNAPSHOT.tar.gz
#
# The version is the one in the poms; to cut a release, set it first:
#   mvn -B versions:set -DnewVersion=0.1.0 -DgenerateBackupPoms=false
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"

mvn -q -B -ntp -Dstyle.color=never -DskipTests -Prelease -pl cli -am package "$@"
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' pom.xml | head -n 1)"
tarball="cli/target/custos-$version.tar.gz"
release/check.sh "$tarball"
echo "$tarball"
