#!/usr/bin/env node
// Generates a synthetic organization for benchmarks: access files under <out>/org and, beside them,
// the embedded local directory (<out>/directory.json) holding the same state with ~1% drift.
//
//   node bench/generate.mjs [--users 100000] [--groups N] [--memberships N] [--files 200]
//                           [--drift 0.01] [--seed 1] [--out bench/out]
//
// Defaults scale with --users: groups = users/5, effective memberships ≈ users*20 (about half from
// role baselines), about 200 files. Deterministic for a given seed (and calendar day: grants end
// 30-80 days after today so that they are valid under a 90d policy).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const USAGE = `Usage: node bench/generate.mjs [--users 100000] [--groups N] [--memberships N] [--files 200]
                                [--drift 0.01] [--seed 1] [--out bench/out]
Writes a synthetic organization: access files under <out>/org, and <out>/directory.json (the local
directory with that share of drift). Groups default to users/5, memberships to users*20.`;

const { values: opt } = parseArgs({
  options: {
    help: { type: "boolean", short: "h" },
    users: { type: "string", default: "100000" },
    groups: { type: "string" },
    memberships: { type: "string" },
    files: { type: "string", default: "200" },
    drift: { type: "string", default: "0.01" },
    seed: { type: "string", default: "1" },
    out: { type: "string", default: "bench/out" },
  },
});
if (opt.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const U = Number(opt.users);
const G = Number(opt.groups ?? Math.max(20, Math.round(U / 5)));
const M = Number(opt.memberships ?? U * 20);
const F = Number(opt.files);
const DRIFT = Number(opt.drift);
const OUT = opt.out;
const ORG = path.join(OUT, "org");

let seed = Number(opt.seed) >>> 0 || 1;
function rand() {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
const pick = (a) => a[int(a.length)];
const pad = (n, w) => String(n).padStart(w, "0");

const FIRST = [
  "ada",
  "alan",
  "grace",
  "linus",
  "ken",
  "dennis",
  "barbara",
  "edsger",
  "donald",
  "frances",
  "margaret",
  "john",
  "radia",
  "tim",
  "vint",
  "sophie",
  "jose",
  "chloe",
  "kenji",
  "lucia",
  "omar",
  "rachel",
  "sam",
  "victor",
  "mei",
  "ines",
  "noah",
  "zoe",
  "yuki",
  "amir",
];
const LAST = [
  "lovelace",
  "turing",
  "hopper",
  "torvalds",
  "thompson",
  "ritchie",
  "liskov",
  "dijkstra",
  "knuth",
  "allen",
  "hamilton",
  "backus",
  "perlman",
  "berners-lee",
  "cerf",
  "wilson",
  "garcia",
  "dubois",
  "tanaka",
  "rossi",
  "haddad",
  "cohen",
  "okafor",
  "novak",
  "chen",
  "silva",
  "muller",
  "kowalski",
];
const TITLES = [
  "Software Engineer",
  "Senior Software Engineer",
  "Staff Engineer",
  "Engineering Manager",
  "Analyst",
  "Senior Analyst",
  "Account Executive",
  "Designer",
  "Product Manager",
  "Recruiter",
  "Site Reliability Engineer",
  "Support Specialist",
  "Director",
];
const cap = (s) => s[0].toUpperCase() + s.slice(1);

const today = new Date();
today.setUTCHours(0, 0, 0, 0);
const isoDay = (d) => d.toISOString().slice(0, 10);
const daysFromToday = (n) => new Date(today.getTime() + n * 86_400_000);

// ---- departments and users ----
const D = Math.max(4, Math.round(U / 500));
const departments = Array.from({ length: D }, (_, i) => `DEPT-${pad(i + 1, 4)}`);
const users = [];
const byDept = departments.map(() => []);
for (let i = 0; i < U; i++) {
  const dept = Math.min(D - 1, Math.floor((i * D) / U));
  const first = pick(FIRST);
  const last = pick(LAST);
  const id = `${first}.${last}${i}`;
  const r = rand();
  const status = r < 0.01 ? "terminated" : r < 0.015 ? "leave" : "active";
  const type = rand() < 0.9 ? "employee" : pick(["contractor", "intern"]);
  const u = { id, name: `${cap(first)} ${cap(last)}`, dept, status, type, title: pick(TITLES) };
  u.email = `${id}@example.com`;
  u.start = isoDay(daysFromToday(-30 - int(3000)));
  if (rand() < 0.3) u.github = `${first}-${last}-${i}`;
  // A manager earlier in the same department, active (the first person reports to the CEO).
  const peers = byDept[dept];
  const bosses = peers.length > 0 ? peers.slice(0, Math.max(1, Math.min(peers.length, 50))) : null;
  u.manager = i === 0 ? undefined : bosses ? pick(bosses).id : users[0].id;
  users.push(u);
  if (status === "active") peers.push(u);
}
const active = users.filter((u) => u.status === "active");
const isActive = (u) => u.status !== "terminated";

// ---- groups ----
const SUFFIX = ["read", "write", "admin"];
const groups = [];
for (let i = 0; i < G; i++) {
  let name;
  if (i < D) name = `dept-d${pad(i + 1, 4)}-read`;
  else if (i % 3 === 0) name = `app-a${pad(i, 6)}-${SUFFIX[i % 2]}`;
  else name = `team-t${pad(i, 6)}-${i % 50 === 1 ? "admin" : SUFFIX[i % 2]}`;
  const privileged = name.endsWith("-admin");
  groups.push({ name, privileged, owners: [], direct: new Set(), grants: new Map(), nested: [] });
}
for (const g of groups) {
  g.owners = [pick(active).id];
  if (rand() < 0.5) {
    const o = pick(active).id;
    if (o !== g.owners[0]) g.owners.push(o);
  }
}

// ---- roles: one baseline per department, plus a few title roles ----
const teamGroups = groups.slice(D).filter((g) => !g.privileged);
const roleTarget = M / 2;
const perRole = Math.max(1, Math.round(roleTarget / U) - 1);
const roles = departments.map((dept, d) => ({
  name: `baseline-${dept.toLowerCase()}`,
  when: { department: dept },
  groups: [groups[d].name, ...new Set(Array.from({ length: perRole }, () => pick(teamGroups).name))],
}));
for (let k = 0; k < Math.min(5, TITLES.length); k++) {
  roles.push({
    name: `title-${TITLES[k].toLowerCase().replace(/ /g, "-")}`,
    when: { title: TITLES[k], employmentType: ["employee", "contractor"] },
    groups: [pick(teamGroups).name],
  });
}

// ---- direct memberships: Zipf-like sizes over the team/app groups ----
const directTarget = (M - roleTarget) * 1.1; // some direct lines repeat role memberships
const S = 1.0;
const weights = teamGroups.map((_, k) => 1 / Math.pow(k + 1, S));
const wsum = weights.reduce((a, b) => a + b, 0);
const maxSize = Math.floor(U * 0.2);
const order = teamGroups.map((_, k) => k).sort(() => rand() - 0.5);
order.forEach((gk, rank) => {
  const g = teamGroups[gk];
  const size = Math.max(1, Math.min(maxSize, Math.round((directTarget * weights[rank]) / wsum)));
  for (let n = 0; n < size; n++) g.direct.add(users[int(U)].id);
});
// Time-bound grants on normal groups (0.5% of direct lines), within policy.grants.maxDuration.
for (const g of teamGroups) {
  for (const id of g.direct) {
    if (rand() < 0.005) {
      g.direct.delete(id);
      g.grants.set(id, {
        until: `${isoDay(daysFromToday(30 + int(50)))}T18:00:00Z`,
        reason: `ACC-${1000 + int(9000)} project work`,
      });
    }
  }
}
// Nesting (depth 1): ~1% of groups include a small group that nests nothing.
const small = teamGroups.filter((g) => g.direct.size > 0 && g.direct.size < 20);
for (let k = 0; k < Math.floor(G / 100) && small.length > 0; k++) {
  const outer = pick(teamGroups);
  const inner = pick(small);
  if (outer === inner || inner.nested.length > 0 || outer.nestedIn) continue;
  inner.nestedIn = true;
  if (!outer.nested.includes(inner.name)) outer.nested.push(inner.name);
}
// Separation of duties: two groups with disjoint members, in no role and nesting nothing.
const sod = [
  {
    name: "app-sod-submit-write",
    privileged: false,
    owners: [active[0].id],
    direct: new Set(),
    grants: new Map(),
    nested: [],
  },
  {
    name: "app-sod-approve-write",
    privileged: false,
    owners: [active[1].id],
    direct: new Set(),
    grants: new Map(),
    nested: [],
  },
];
for (let n = 0; n < 40; n++) sod[n % 2].direct.add(active[n].id);
groups.push(...sod);

// ---- YAML ----
const q = (s) => (/^[A-Za-z][\w .@-]*$/.test(s) && !/ $/.test(s) ? s : JSON.stringify(s));
function userYaml(u) {
  const lines = [
    `  - id: ${u.id}`,
    `    name: ${u.name}`,
    `    email: ${u.email}`,
    `    department: ${departments[u.dept]}`,
    `    title: ${u.title}`,
  ];
  if (u.manager) lines.push(`    manager: ${u.manager}`);
  if (u.type !== "employee") lines.push(`    employmentType: ${u.type}`);
  if (u.status !== "active") lines.push(`    status: ${u.status}`);
  lines.push(`    employeeNumber: "E${pad(users.indexOfId(u.id), 7)}"`, `    startDate: ${u.start}`);
  if (u.github) lines.push(`    accounts: { github: ${u.github} }`);
  return lines.join("\n");
}
const idIndex = new Map(users.map((u, i) => [u.id, i]));
users.indexOfId = (id) => idIndex.get(id);
function groupYaml(g) {
  const lines = [
    `  - name: ${g.name}`,
    `    description: ${q(`Access for ${g.name.replace(/-/g, " ")}`)}`,
    `    owners: [${g.owners.join(", ")}]`,
  ];
  if (g.privileged) lines.push("    sensitivity: privileged");
  if (g.direct.size === 0 && g.grants.size === 0 && g.nested.length === 0) {
    lines.push("    members: [] # everyone comes from roles");
    return lines.join("\n");
  }
  lines.push("    members:");
  for (const n of g.nested) lines.push(`      - group: ${n}`);
  for (const id of [...g.direct].sort()) lines.push(`      - ${id}`);
  for (const [id, grant] of g.grants)
    lines.push(`      - user: ${id}`, `        until: ${grant.until}`, `        reason: ${grant.reason}`);
  return lines.join("\n");
}
function roleYaml(r) {
  const when = Object.entries(r.when)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.join(", ")}]` : q(v)}`)
    .join(", ");
  return [`  - name: ${r.name}`, `    when: { ${when} }`, `    groups: [${r.groups.join(", ")}]`].join("\n");
}

rmSync(ORG, { recursive: true, force: true });
for (const sub of ["users", "groups", "roles"]) mkdirSync(path.join(ORG, sub), { recursive: true });
const live = path.join(OUT, "directory.json");
writeFileSync(
  path.join(ORG, "gatehouse.yaml"),
  `# Generated by bench/generate.mjs (${U} users, ${groups.length} groups)
providers:
  directory:
    type: local
    path: ${JSON.stringify(path.resolve(live))}
    mode: authoritative
policy:
  groupNaming: "^(dept|team|app)-[a-z0-9]+(-[a-z0-9]+)*-(read|write|admin)$"
  maxNestingDepth: 2
  separationOfDuties:
    - [app-sod-submit-write, app-sod-approve-write]
  grants:
    maxDuration: 90d
    privilegedMaxDuration: 12h
  guardrails:
    maxRemovals: "10%"
  admins: [${active[0].id}]
`,
);
const fu = Math.max(1, Math.round(F * 0.45));
const fg = Math.max(1, Math.round(F * 0.45));
const fr = Math.max(1, F - fu - fg);
function writeChunks(kind, items, count, render, header) {
  const per = Math.ceil(items.length / count);
  let bytes = 0;
  for (let k = 0; k * per < items.length; k++) {
    const body = items
      .slice(k * per, (k + 1) * per)
      .map(render)
      .join("\n\n");
    const text = `# yaml-language-server: $schema=../../../../schemas/access.schema.json\n# ${header} ${k + 1}\n${kind}:\n${body}\n`;
    bytes += Buffer.byteLength(text);
    writeFileSync(path.join(ORG, kind, `${kind}-${pad(k + 1, 3)}.yaml`), text);
  }
  return bytes;
}
let bytes = writeChunks("users", users, fu, userYaml, "people, part");
bytes += writeChunks("groups", groups, fg, groupYaml, "groups, part");
bytes += writeChunks("roles", roles, fr, roleYaml, "role baselines, part");

// ---- the live directory: exactly the desired state, then ~DRIFT of it changed ----
const usersById = new Map(users.map((u) => [u.id, u]));
const groupByName = new Map(groups.map((g) => [g.name, g]));
const roleMembers = new Map(); // group → Set of user ids
const deptRoles = new Map(
  roles.filter((r) => typeof r.when.department === "string").map((r) => [r.when.department, r]),
);
const otherRoles = roles.filter((r) => typeof r.when.department !== "string");
for (const u of users) {
  for (const r of [deptRoles.get(departments[u.dept]), ...otherRoles]) {
    if (!r) continue;
    const ok = Object.entries(r.when).every(([k, v]) => {
      const have = k === "department" ? departments[u.dept] : k === "title" ? u.title : u.type;
      return Array.isArray(v) ? v.includes(have) : v === have;
    });
    if (!ok) continue;
    for (const g of r.groups) {
      if (!roleMembers.has(g)) roleMembers.set(g, new Set());
      roleMembers.get(g).add(u.id);
    }
  }
}
function effective(g) {
  const out = new Set([...g.direct, ...g.grants.keys(), ...(roleMembers.get(g.name) ?? [])]);
  for (const n of g.nested) for (const id of effective(groupByName.get(n))) out.add(id);
  return out;
}
let memberships = 0;
let fromRoles = 0;
const liveGroups = groups.map((g) => {
  const eff = [...effective(g)].filter((id) => isActive(usersById.get(id)));
  memberships += eff.length;
  fromRoles += roleMembers.get(g.name)?.size ?? 0;
  return {
    name: g.name,
    description: `Access for ${g.name.replace(/-/g, " ")}`,
    members: eff,
    groupMembers: [],
  };
});
const liveUsers = users.map((u) => {
  const out = {
    account: u.id,
    name: u.name,
    email: u.email,
    department: departments[u.dept],
    title: u.title,
  };
  if (u.manager) out.manager = u.manager;
  out.employmentType = u.type;
  out.enabled = u.status !== "terminated";
  out.sessions = [];
  out.tokens = [];
  return out;
});
// Drift: memberships missing or extra, changed titles, leavers still enabled with sessions,
// a few users and groups missing.
const drifted = { missingMembers: 0, extraMembers: 0, titles: 0, leavers: 0, users: 0, groups: 0 };
for (const g of liveGroups) {
  g.members = g.members.filter(() => (rand() < DRIFT ? (drifted.missingMembers++, false) : true));
  if (rand() < DRIFT * 5) {
    g.members.push(pick(active).id);
    drifted.extraMembers++;
  }
}
for (const u of liveUsers) {
  if (rand() < DRIFT) {
    u.title = `${u.title} (old)`;
    drifted.titles++;
  }
  if (!u.enabled && rand() < 0.2) {
    u.enabled = true;
    u.sessions = [{ id: `s-${u.account}`, createdAt: "2026-01-01T00:00:00Z" }];
    drifted.leavers++;
  }
}
const keptUsers = liveUsers.filter((u) =>
  u.enabled && rand() < DRIFT / 10 ? (drifted.users++, false) : true,
);
const keptGroups = liveGroups.filter(() => (rand() < DRIFT / 10 ? (drifted.groups++, false) : true));
const keptSet = new Set(keptUsers);
const removedUsers = new Set(liveUsers.filter((u) => !keptSet.has(u)).map((u) => u.account));
for (const g of keptGroups) g.members = g.members.filter((m) => !removedUsers.has(m));
const sorted = (a, k) => a.sort((x, y) => (x[k] < y[k] ? -1 : x[k] > y[k] ? 1 : 0));
for (const g of keptGroups) g.members.sort();
writeFileSync(
  live,
  JSON.stringify({
    formatVersion: 1,
    users: sorted(keptUsers, "account"),
    groups: sorted(keptGroups, "name"),
  }) + "\n",
);
const summary = {
  users: U,
  groups: groups.length,
  roles: roles.length,
  files: fu + fg + fr + 1,
  yamlBytes: bytes,
  effectiveMemberships: memberships,
  fromRoles,
  drift: drifted,
  org: ORG,
  directory: live,
};
writeFileSync(path.join(OUT, "org.json"), JSON.stringify(summary, null, 2) + "\n");
process.stdout.write(JSON.stringify(summary) + "\n");
