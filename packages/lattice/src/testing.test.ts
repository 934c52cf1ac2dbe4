import { describeLatticeModel } from './testing';
import { hardCoreEnergy, hardCoreModel } from './toy-model.test-helper';

describeLatticeModel(hardCoreModel, {
  paramGrid: [{ sites: 1 }, { sites: 5, mu: -0.7 }, { sites: 10, mu: 1.3 }, { sites: 40, mu: 0.2 }],
  referenceEnergy: hardCoreEnergy,
  referenceAllowed: (p, x) => Number.isFinite(hardCoreEnergy(p, x)),
});
