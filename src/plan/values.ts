/**
 * Whether a live attribute value already is what the files want. Systems normalize what they store:
 * LDAP and most apps drop leading and trailing spaces and do not keep an empty value, so `"Tom Trail "`
 * and `"Tom Trail"`, or `""` and no value, are the same; compared exactly, the plan would set them again
 * on every run and never converge.
 */
export function sameValue(have: string | undefined, want: string | undefined): boolean {
  return (have ?? "").trim() === (want ?? "").trim();
}
