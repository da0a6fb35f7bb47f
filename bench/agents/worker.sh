#!/bin/sh
# Instant scripted worker (command harness): one file per task, then the ready signal.
printf 'change for %s\n' "$SWARM_TASK_ID" > "change-$SWARM_TASK_ID.txt"
echo COMPLETE_AND_READY_FOR_MERGE
