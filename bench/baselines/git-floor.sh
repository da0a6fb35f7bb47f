#!/bin/bash
# The floor: the minimum git work for N reviewed changes, serially, in one shell.
# Per change: worktree add (new branch), write one file, commit, merge --no-ff into the base in
# the main checkout, worktree remove, delete the branch.
#   git-floor.sh N [WORKER REVIEWER]
# With WORKER and REVIEWER, each change also starts the same scripted agent and reviewer
# processes the swarm starts (prompt on stdin, SWARM_TASK_ID set), for an apples-to-apples floor.
set -euo pipefail
n=$1; worker=${2:-}; reviewer=${3:-}
for i in $(seq -f '%03g' 1 "$n"); do
  id="t$i"; wt=".floor/$id"
  git worktree add -q -b "floor/$id" "$wt"
  if [ -n "$worker" ]; then
    (cd "$wt" && SWARM_TASK_ID="$id" "$worker" <<< "Task $id" > /dev/null)
  else
    printf 'change for %s\n' "$id" > "$wt/change-$id.txt"
  fi
  git -C "$wt" add -A
  git -C "$wt" commit -q -m "$id"
  if [ -n "$reviewer" ]; then "$reviewer" <<< "Review $id" > /dev/null; fi
  git merge -q --no-ff --no-edit "floor/$id"
  git worktree remove "$wt"
  git branch -q -d "floor/$id"
done
