import { expect } from 'chai';
import { benchGenerate } from '../firmware-ts/diagnostics/bench-generate.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { tempDir, writeTinyModel } from './helpers/tiny-models.js';

describe('diagnostics: bench generate (the figures, not their values)', function () {
  this.timeout(60_000);
  before(async () => {
    await initBackend('cpu');
  });

  for (const collectBetween of [false, true])
    it(`times every generation of the gesture sets in turn, leaks no tensor${collectBetween ? ', with a collection before each' : ''}`, async () => {
      const tmp = tempDir('bench-generate');
      try {
        const dir = writeTinyModel(tmp.dir, 'ag11s', { steps: 0 });
        const r = await benchGenerate({ modelDir: dir, n: 8, warmup: 2, backend: 'cpu', collectBetween });
        expect(r.n).to.equal(8);
        expect(r.collected_between).to.equal(collectBetween);
        expect(r.gesture_sets).to.have.length(4);
        expect(r.min_ms).to.be.at.most(r.p50_ms);
        expect(r.p50_ms).to.be.at.most(r.p99_ms);
        expect(r.p99_ms).to.be.at.most(r.max_ms);
        expect(r.tensors_after).to.equal(r.tensors_before);
      } finally {
        tmp.remove();
      }
    });
});
