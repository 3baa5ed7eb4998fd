import bcrypt from 'bcryptjs';

/**
 * One htpasswd line (`user:$2b$…`) as distribution's htpasswd auth reads it: bcrypt only.
 * bcryptjs, so the tests need no apache2-utils; the low cost keeps registry logins fast.
 */
export function htpasswdLine(username: string, password: string): string {
  return `${username}:${bcrypt.hashSync(password, 5)}\n`;
}
