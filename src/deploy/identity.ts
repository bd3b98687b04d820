/**
 * How two spellings of a person are compared: trimmed, Unicode-normalized and case-folded, so
 * `alice`, ` Alice` and `ALICE` are one person for separation of duties and sole-approver checks.
 * Names are stored as given; only comparisons fold.
 */
export function identityKey(who: string): string {
  return who.normalize("NFKC").trim().toLocaleLowerCase("en-US");
}

export function sameIdentity(a: string, b: string): boolean {
  return identityKey(a) === identityKey(b);
}
