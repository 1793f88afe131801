/** Seeding helpers for pull requests: a repository, a pull request, reviews, and pushes that move its head. */
import type { FakeGithub } from "./server.ts";
import type { FakePull, FakePullFile, FakeRepo, FakeReview } from "./state.ts";

export function seedRepo(fake: FakeGithub, owner: string, name: string): FakeRepo {
  return fake.state.repos.get(`${owner}/${name}`.toLowerCase()) ?? fake.state.addRepo(owner, name);
}

export interface SeedPullOptions {
  readonly number?: number;
  readonly author: string;
  readonly headSha: string;
  readonly baseSha: string;
  readonly files: readonly string[];
  readonly title?: string;
}

function filesOf(paths: readonly string[]): FakePullFile[] {
  return paths.map((filename) => ({ filename, status: "modified", additions: 1, deletions: 0 }));
}

export function seedPull(fake: FakeGithub, repo: FakeRepo, options: SeedPullOptions): FakePull {
  const number = options.number ?? repo.pulls.size + 1;
  const pull: FakePull = {
    number,
    title: options.title ?? "Access request",
    body: null,
    state: "open",
    authorId: fake.state.requireUser(options.author).id,
    headSha: options.headSha,
    headRef: `request-${String(number)}`,
    baseRef: "main",
    baseSha: options.baseSha,
    merged: false,
    mergeCommitSha: null,
    mergedAt: null,
    mergedById: null,
    files: filesOf(options.files),
    reviews: [],
  };
  repo.pulls.set(number, pull);
  repo.commits.add(options.headSha);
  repo.commits.add(options.baseSha);
  return pull;
}

/** A merge (or squash) of the pull request into its base, as `by`: the base branch gets `mergeCommitSha`. */
export function mergePull(
  fake: FakeGithub,
  repo: FakeRepo,
  pull: FakePull,
  mergeCommitSha: string,
  by: string,
): void {
  pull.merged = true;
  pull.state = "closed";
  pull.mergeCommitSha = mergeCommitSha;
  pull.mergedAt = fake.state.now();
  pull.mergedById = fake.state.requireUser(by).id;
  repo.commits.add(mergeCommitSha);
}

/** A commit pushed straight to a branch, with no pull request. */
export function pushCommit(repo: FakeRepo, sha: string): void {
  repo.commits.add(sha);
}

/** A review as GitHub records it: by account id, on the pull request's head at the time (or `commitId`). */
export function seedReview(
  fake: FakeGithub,
  pull: FakePull,
  login: string,
  state: FakeReview["state"] = "APPROVED",
  commitId: string = pull.headSha,
): FakeReview {
  const review: FakeReview = {
    id: fake.state.newId(),
    userId: fake.state.requireUser(login).id,
    state,
    body: "",
    commitId,
    submittedAt: fake.state.now(),
  };
  pull.reviews.push(review);
  return review;
}

/** A push to the pull request's branch: its head moves; earlier reviews stay on their commits. */
export function pushToPull(pull: FakePull, headSha: string, files?: readonly string[]): void {
  pull.headSha = headSha;
  if (files) pull.files = filesOf(files);
}
