import { scoreResolution } from './score-resolution.js';

// r1, r2, r3 are Ana; r4, r5 are Bruno; r6 is Carla.
const truth = { r1: 'ana', r2: 'ana', r3: 'ana', r4: 'bruno', r5: 'bruno', r6: 'carla' };

describe('scoreResolution', () => {
  it('scores a perfect grouping 1 / 1', () => {
    expect(scoreResolution([['r1', 'r2', 'r3'], ['r4', 'r5'], ['r6']], truth)).toMatchObject({
      precision: 1,
      recall: 1,
      f1: 1,
      truePositives: 4,
      predictedPairs: 4,
      truePairs: 4,
    });
  });

  it('gives full precision and no recall when nothing is merged', () => {
    expect(scoreResolution(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((r) => [r]), new Map(Object.entries(truth)))).toMatchObject({
      precision: 1,
      recall: 0,
      f1: 0,
    });
  });

  it('counts pairs: an over-merge costs precision, a split costs recall', () => {
    // Ana split in two; Bruno merged with Carla (through, say, a shared family email).
    const score = scoreResolution([['r1', 'r2'], ['r3'], ['r4', 'r5', 'r6']], truth);
    // predicted pairs: r1r2, r4r5, r4r6, r5r6 = 4; true among them: r1r2, r4r5 = 2; true pairs overall: 4.
    expect(score).toMatchObject({ predictedPairs: 4, truePositives: 2, truePairs: 4, precision: 0.5, recall: 0.5, ungrouped: 0 });
  });

  it('treats records missing from the groups as singletons and refuses a record in two groups', () => {
    expect(scoreResolution([['r1', 'r2', 'r3']], truth)).toMatchObject({ precision: 1, recall: 0.75, ungrouped: 3 });
    expect(() => scoreResolution([['r1'], ['r1', 'r2']], truth)).toThrow('r1 is in more than one group');
  });
});
