/**
 * Pairwise precision / recall of an identity grouping against the truth: of all pairs of records the
 * resolver put together, how many really are the same person (precision), and of all pairs that are
 * the same person, how many it put together (recall).
 */

export interface ResolutionScore {
  precision: number;
  recall: number;
  f1: number;
  /** Pairs grouped together that are the same person. */
  truePositives: number;
  /** Pairs grouped together. */
  predictedPairs: number;
  /** Pairs that are the same person. */
  truePairs: number;
  /** Records of the truth missing from every group (they count as singletons). */
  ungrouped: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/**
 * `groups`: the record ids the resolver merged into one profile, one array per profile. `truth`:
 * record id → true person id. Records present in only one of them are treated as singletons.
 * With no pair predicted, precision is 1; with no true pair, recall is 1.
 */
export function scoreResolution(
  groups: Iterable<Iterable<string>>,
  truth: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): ResolutionScore {
  const truthMap: ReadonlyMap<string, string> = truth instanceof Map ? truth : new Map(Object.entries(truth));
  let predictedPairs = 0;
  let truePositives = 0;
  const grouped = new Set<string>();
  let groupIndex = 0;
  for (const group of groups) {
    const members = [...new Set(group)];
    predictedPairs += pairs(members.length);
    const byPerson = new Map<string, number>();
    for (const recordId of members) {
      if (grouped.has(recordId)) throw new Error(`record ${recordId} is in more than one group`);
      grouped.add(recordId);
      // A record the truth does not know is its own person.
      const person = truthMap.get(recordId) ?? `unknown:${groupIndex}:${recordId}`;
      byPerson.set(person, (byPerson.get(person) ?? 0) + 1);
    }
    for (const count of byPerson.values()) truePositives += pairs(count);
    groupIndex++;
  }
  const perPerson = new Map<string, number>();
  for (const person of truthMap.values()) perPerson.set(person, (perPerson.get(person) ?? 0) + 1);
  let truePairs = 0;
  for (const count of perPerson.values()) truePairs += pairs(count);
  const precision = predictedPairs === 0 ? 1 : truePositives / predictedPairs;
  const recall = truePairs === 0 ? 1 : truePositives / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  let ungrouped = 0;
  for (const recordId of truthMap.keys()) if (!grouped.has(recordId)) ungrouped++;
  return { precision, recall, f1, truePositives, predictedPairs, truePairs, ungrouped };
}
