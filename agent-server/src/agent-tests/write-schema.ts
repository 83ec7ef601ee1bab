// Writes agent-test.schema.json from the test file schema (`npm run agent-test-schema`); a test keeps them in step.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { testFileJsonSchema } from './format';

writeFileSync(path.join(__dirname, '..', '..', 'agent-test.schema.json'), `${JSON.stringify(testFileJsonSchema(), null, '\t')}\n`);
