/** Pull-request-side JSON bodies in the shapes of GitHub's OpenAPI description. */
import type {
  FakeCheckRun,
  FakeComment,
  FakeGithubState,
  FakePull,
  FakePullFile,
  FakeRepo,
  FakeReview,
  FakeStatus,
  FakeUser,
} from "./state.ts";
import { simpleUser } from "./wire.ts";

type Json = Record<string, unknown>;
const WEB = "https://github.com";
const nodeId = (kind: string, id: number): string => Buffer.from(`${kind}:${String(id)}`).toString("base64");
const GHOST: FakeUser = {
  id: 10137,
  login: "ghost",
  name: null,
  email: null,
  createdAt: "2008-05-13T06:14:25Z",
};

function userOrGhost(state: FakeGithubState, id: number): FakeUser {
  return state.users.get(id) ?? GHOST;
}

export function repository(api: string, state: FakeGithubState, repo: FakeRepo): Json {
  const full = `${repo.owner}/${repo.name}`;
  const u = `${api}/repos/${full}`;
  const org = state.org(repo.owner);
  const ownerUser = org
    ? simpleUser(
        api,
        { id: org.id, login: org.login, name: null, email: null, createdAt: "2024-01-01T00:00:00Z" },
        "Organization",
      )
    : simpleUser(api, state.userByLogin(repo.owner) ?? GHOST);
  const urls: Record<string, string> = {};
  for (const [key, tail] of Object.entries({
    archive_url: "/{archive_format}{/ref}",
    assignees_url: "/assignees{/user}",
    blobs_url: "/git/blobs{/sha}",
    branches_url: "/branches{/branch}",
    collaborators_url: "/collaborators{/collaborator}",
    comments_url: "/comments{/number}",
    commits_url: "/commits{/sha}",
    compare_url: "/compare/{base}...{head}",
    contents_url: "/contents/{+path}",
    contributors_url: "/contributors",
    deployments_url: "/deployments",
    downloads_url: "/downloads",
    events_url: "/events",
    forks_url: "/forks",
    git_commits_url: "/git/commits{/sha}",
    git_refs_url: "/git/refs{/sha}",
    git_tags_url: "/git/tags{/sha}",
    hooks_url: "/hooks",
    issue_comment_url: "/issues/comments{/number}",
    issue_events_url: "/issues/events{/number}",
    issues_url: "/issues{/number}",
    keys_url: "/keys{/key_id}",
    labels_url: "/labels{/name}",
    languages_url: "/languages",
    merges_url: "/merges",
    milestones_url: "/milestones{/number}",
    notifications_url: "/notifications{?since,all,participating}",
    pulls_url: "/pulls{/number}",
    releases_url: "/releases{/id}",
    stargazers_url: "/stargazers",
    statuses_url: "/statuses/{sha}",
    subscribers_url: "/subscribers",
    subscription_url: "/subscription",
    tags_url: "/tags",
    teams_url: "/teams",
    trees_url: "/git/trees{/sha}",
  }))
    urls[key] = `${u}${tail}`;
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: full,
    owner: ownerUser,
    private: true,
    html_url: `${WEB}/${full}`,
    description: null,
    fork: false,
    url: u,
    ...urls,
    clone_url: `${WEB}/${full}.git`,
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    svn_url: `${WEB}/${full}`,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: "main",
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: "2024-01-01T00:00:00Z",
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
  };
}

export function pullRequest(api: string, state: FakeGithubState, repo: FakeRepo, pull: FakePull): Json {
  const u = `${api}/repos/${repo.owner}/${repo.name}`;
  const html = `${WEB}/${repo.owner}/${repo.name}/pull/${String(pull.number)}`;
  const author = simpleUser(api, userOrGhost(state, pull.authorId));
  const repoJson = repository(api, state, repo);
  const end = (ref: string, sha: string): Json => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: author,
    repo: repoJson,
  });
  const link = (href: string): Json => ({ href });
  const id = repo.id * 1000 + pull.number;
  return {
    id,
    node_id: nodeId("PullRequest", id),
    number: pull.number,
    url: `${u}/pulls/${String(pull.number)}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${u}/issues/${String(pull.number)}`,
    commits_url: `${u}/pulls/${String(pull.number)}/commits`,
    review_comments_url: `${u}/pulls/${String(pull.number)}/comments`,
    review_comment_url: `${u}/pulls/comments{/number}`,
    comments_url: `${u}/issues/${String(pull.number)}/comments`,
    statuses_url: `${u}/statuses/${pull.headSha}`,
    state: pull.state,
    locked: false,
    title: pull.title,
    body: pull.body,
    user: author,
    labels: [],
    milestone: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    created_at: "2024-01-01T00:00:00Z",
    updated_at: "2024-01-01T00:00:00Z",
    closed_at: pull.mergedAt ?? (pull.merged ? "2024-01-02T00:00:00Z" : null),
    merged_at: pull.mergedAt ?? (pull.merged ? "2024-01-02T00:00:00Z" : null),
    merge_commit_sha: pull.mergeCommitSha,
    head: end(pull.headRef, pull.headSha),
    base: end(pull.baseRef, pull.baseSha),
    author_association: "MEMBER",
    auto_merge: null,
    draft: false,
    merged: pull.merged,
    mergeable: true,
    mergeable_state: "clean",
    merged_by: pull.mergedById === null ? null : simpleUser(api, userOrGhost(state, pull.mergedById)),
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: pull.files.reduce((n, f) => n + f.additions, 0),
    deletions: pull.files.reduce((n, f) => n + f.deletions, 0),
    changed_files: pull.files.length,
    _links: {
      self: link(`${u}/pulls/${String(pull.number)}`),
      html: link(html),
      issue: link(`${u}/issues/${String(pull.number)}`),
      comments: link(`${u}/issues/${String(pull.number)}/comments`),
      review_comments: link(`${u}/pulls/${String(pull.number)}/comments`),
      review_comment: link(`${u}/pulls/comments{/number}`),
      commits: link(`${u}/pulls/${String(pull.number)}/commits`),
      statuses: link(`${u}/statuses/${pull.headSha}`),
    },
  };
}

export function diffEntry(api: string, repo: FakeRepo, pull: FakePull, file: FakePullFile): Json {
  const base = `${WEB}/${repo.owner}/${repo.name}`;
  return {
    sha: null,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${base}/blob/${pull.headSha}/${file.filename}`,
    raw_url: `${base}/raw/${pull.headSha}/${file.filename}`,
    contents_url: `${api}/repos/${repo.owner}/${repo.name}/contents/${file.filename}?ref=${pull.headSha}`,
    ...(file.patch === undefined ? {} : { patch: file.patch }),
  };
}

export function review(
  api: string,
  state: FakeGithubState,
  repo: FakeRepo,
  pull: FakePull,
  r: FakeReview,
): Json {
  const prUrl = `${api}/repos/${repo.owner}/${repo.name}/pulls/${String(pull.number)}`;
  const html = `${WEB}/${repo.owner}/${repo.name}/pull/${String(pull.number)}#pullrequestreview-${String(r.id)}`;
  return {
    id: r.id,
    node_id: nodeId("PullRequestReview", r.id),
    user: simpleUser(api, userOrGhost(state, r.userId)),
    body: r.body,
    state: r.state,
    commit_id: r.commitId,
    html_url: html,
    pull_request_url: prUrl,
    submitted_at: r.submittedAt,
    author_association: "MEMBER",
    _links: { html: { href: html }, pull_request: { href: prUrl } },
  };
}

export function issueComment(
  api: string,
  state: FakeGithubState,
  repo: FakeRepo,
  issue: number,
  c: FakeComment,
): Json {
  const u = `${api}/repos/${repo.owner}/${repo.name}`;
  return {
    id: c.id,
    node_id: nodeId("IssueComment", c.id),
    url: `${u}/issues/comments/${String(c.id)}`,
    html_url: `${WEB}/${repo.owner}/${repo.name}/pull/${String(issue)}#issuecomment-${String(c.id)}`,
    issue_url: `${u}/issues/${String(issue)}`,
    body: c.body,
    user: simpleUser(api, userOrGhost(state, c.userId)),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: "MEMBER",
  };
}

export function commitStatus(api: string, state: FakeGithubState, repo: FakeRepo, s: FakeStatus): Json {
  return {
    id: s.id,
    node_id: nodeId("StatusContext", s.id),
    url: `${api}/repos/${repo.owner}/${repo.name}/statuses/${s.sha}`,
    avatar_url: null,
    state: s.state,
    description: s.description,
    target_url: s.targetUrl,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    creator: simpleUser(api, userOrGhost(state, s.creatorId)),
  };
}

export function checkRun(api: string, repo: FakeRepo, c: FakeCheckRun): Json {
  const u = `${api}/repos/${repo.owner}/${repo.name}/check-runs/${String(c.id)}`;
  return {
    id: c.id,
    node_id: nodeId("CheckRun", c.id),
    head_sha: c.headSha,
    name: c.name,
    url: u,
    html_url: `${WEB}/${repo.owner}/${repo.name}/runs/${String(c.id)}`,
    details_url: null,
    external_id: null,
    status: c.status,
    conclusion: c.conclusion,
    started_at: c.createdAt,
    completed_at: c.status === "completed" ? c.createdAt : null,
    check_suite: { id: c.id + 1 },
    output: {
      title: c.title,
      summary: c.summary,
      text: null,
      annotations_count: 0,
      annotations_url: `${u}/annotations`,
    },
    app: null,
    pull_requests: [],
  };
}
