const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90d" → milliseconds; undefined for anything else. Units: m, h, d, w. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(m|h|d|w)$/.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const unit = UNIT_MS[m[2]];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["w", 604_800_000],
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const) {
    if (ms % size === 0 && ms >= size) return `${String(ms / size)}${unit}`;
  }
  return `${String(Math.round(ms / 60_000))}m`;
}
