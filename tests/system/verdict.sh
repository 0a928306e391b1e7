#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/system/verdict.sh: one case's result from the outer guest's log, as an exit status.
#
# Usage: verdict.sh STATE_DIR CASE
#
# Prints the case's "SYSTEM-TEST CASE PASS|FAIL reason" line from
# STATE_DIR/system.log (boot.sh) and exits 0 for PASS; for FAIL it also
# prints the console of the inner boots the log holds for that case and
# exits 1. Exit 77 when the run was skipped (no QEMU, no kernel), 1 when the
# log has no verdict for the case (the outer guest died before it).
set -euo pipefail

state=$1
name=$2
log="$state/system.log"

if [ -f "$state/skip" ]; then
	echo "skipped: $(cat "$state/skip")"
	exit 77
fi
if [ ! -f "$log" ]; then
	echo "no $log: the outer guest did not run (see the system_boot test)"
	exit 1
fi
# Serial console lines end in \r\n.
line=$(tr -d '\r' <"$log" | grep -m 1 "^SYSTEM-TEST $name " || true)
case $line in
"SYSTEM-TEST $name PASS"*)
	echo "$line"
	exit 0
	;;
"SYSTEM-TEST $name FAIL"*)
	echo "$line"
	# The runs just before the verdict are the ones it judged.
	echo "--- the outer guest's log up to this verdict (last 60 lines):"
	tr -d '\r' <"$log" | sed "/^SYSTEM-TEST $name /q" | tail -n 60
	exit 1
	;;
*)
	# A run of some cases only (IGNIS_SYSTEM_SUITE=CASE,CASE...) has
	# no verdict for the others: skipped, not failed.
	suite=$(tr -d '\r' <"$log" | sed -n 's/^=== L2 INIT .* suite \([^ ]*\)$/\1/p' | head -n 1)
	case $suite in
	"" | all | tests | bench) ;;
	*)
		case ",$suite," in
		*",$name,"*) ;;
		*)
			echo "skipped: this run's cases are $suite (IGNIS_SYSTEM_SUITE)"
			exit 77
			;;
		esac
		;;
	esac
	echo "no verdict for $name in $log; its tail:"
	tr -d '\r' <"$log" | tail -n 30
	exit 1
	;;
esac
