#!/usr/bin/env bash
# Keeps the journal on a branch of the repository (default gatehouse-journal), in pieces, so that no file
# reaches GitHub's 100 MB limit (the journal of a first import of 20k people is over 300 MB). Pieces are
# cut at fixed byte offsets: an apply that appends only changes the last piece (and adds new ones), so
# git stores the earlier pieces once. The workflows call it; run from the repository's working tree.
#
#   scripts/journal-branch.sh restore [journal]   # the branch's journal into journal (none yet: nothing)
#   scripts/journal-branch.sh keep [journal]      # journal onto the branch, committed and pushed
#
# Beside the journal, the branch keeps the github providers' pin files of the journal's folder (every
# *-ids.json there: the default .gatehouse/github-ids.json, each login's and team's account id), or the
# files GATEHOUSE_JOURNAL_BESIDE names (space-separated; empty: none). That folder (.gatehouse/) is never
# committed: without this every CI run would start with no pins, the github read could not tell a renamed
# or re-registered login, and pr check would pin no reviewer.
#
# GATEHOUSE_JOURNAL_BRANCH (default gatehouse-journal), GATEHOUSE_JOURNAL_PIECE_BYTES (default 50000000).
set -euo pipefail

command=${1:?usage: journal-branch.sh restore|keep [journal]}
journal=${2:-.gatehouse/journal.jsonl}
branch=${GATEHOUSE_JOURNAL_BRANCH:-gatehouse-journal}
piece=${GATEHOUSE_JOURNAL_PIECE_BYTES:-50000000}
folder=$(dirname "$journal")
pins='^[A-Za-z0-9][A-Za-z0-9._-]*-ids\.json$'
for name in ${GATEHOUSE_JOURNAL_BESIDE-}; do
  if ! [[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || [[ "$name" == journal.jsonl* ]]; then
    echo "journal-branch.sh: GATEHOUSE_JOURNAL_BESIDE names a file, not a path or a journal piece: $name" >&2
    exit 64
  fi
done
# The names read (one a line) of files kept beside the journal.
beside() {
  local listed
  listed=$(cat)
  if [ -n "${GATEHOUSE_JOURNAL_BESIDE+set}" ]; then
    for name in $GATEHOUSE_JOURNAL_BESIDE; do
      if grep -qxF "$name" <<<"$listed"; then echo "$name"; fi
    done
  else
    grep -E "$pins" <<<"$listed" || true
  fi
}

case "$command" in
  restore)
    mkdir -p "$(dirname "$journal")"
    git fetch --quiet --no-tags origin "$branch" 2>/dev/null || exit 0 # no journal kept yet
    names=$(git ls-tree --name-only FETCH_HEAD)
    if grep -qx 'journal.jsonl' <<<"$names"; then
      # Kept whole, as before it was kept in pieces.
      git show FETCH_HEAD:journal.jsonl >"$journal"
    else
      : >"$journal"
      for name in $(grep -E '^journal\.jsonl\.[0-9]{4,}$' <<<"$names" | sort); do
        git show "FETCH_HEAD:$name" >>"$journal"
      done
    fi
    for name in $(beside <<<"$names"); do
      git show "FETCH_HEAD:$name" >"$folder/$name"
    done
    ;;
  keep)
    [ -f "$journal" ] || exit 0
    source=$(realpath "$journal")
    folder=$(realpath "$folder")
    repo=$(pwd)
    work=$(mktemp -d)/journal
    # The worktree goes whatever happens (a failed push too): a branch left checked out in one would make
    # every later keep fail.
    trap 'cd "$repo" && git worktree remove --force "$work" >/dev/null 2>&1; rm -rf "$(dirname "$work")"' EXIT
    git worktree add --quiet --detach "$work"
    cd "$work"
    if git fetch --quiet --no-tags origin "$branch" 2>/dev/null; then
      git checkout --quiet -B "$branch" FETCH_HEAD
    else
      # None on origin yet. A local one is what an earlier keep could not push: the whole journal is
      # written again below, so it starts afresh.
      git branch --quiet -D "$branch" 2>/dev/null || true
      git checkout --quiet --orphan "$branch"
      git rm -rfq .
    fi
    git rm -q --ignore-unmatch 'journal.jsonl*'
    split -b "$piece" -d -a 4 "$source" journal.jsonl.
    # A file kept before stays when this run has none (a checkout that never restored it).
    for name in $(find "$folder" -maxdepth 1 -type f -printf '%f\n' | beside); do
      cp "$folder/$name" "$name"
    done
    git add -A .
    git commit --quiet -m "journal: ${GITHUB_WORKFLOW:-gatehouse} run ${GITHUB_RUN_ID:-local} at ${GITHUB_SHA:-$(git -C "$OLDPWD" rev-parse HEAD)}" || exit 0
    git push --quiet origin "$branch"
    ;;
  *)
    echo "usage: journal-branch.sh restore|keep [journal]" >&2
    exit 64
    ;;
esac
