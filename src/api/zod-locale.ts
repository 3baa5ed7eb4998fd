import * as z from 'zod/mini';
// One locale by path: `z.locales.en()` would pull every locale into the bundle (~150 KB).
import en from 'zod/v4/locales/en.js';

// zod/mini loads no messages by default ("Invalid input" for everything); the English ones make
// every validation error say what was expected.
z.config(en());
