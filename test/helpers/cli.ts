// The command line as built (`npm run build`, run by `pretest`): the path tests spawn with node.
import { packageFile } from '../../src/paths.js';

export const CLI = packageFile('dist', 'src', 'cli', 'main.js');
