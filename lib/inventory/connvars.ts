// The connection vars the tool reads from an inventory (Ansible's names) and the checks of their
// values, shared by every inventory format and by group_vars/host_vars files. Pure.

export const STRING_VARS = [
  'ansible_host', 'ansible_ssh_host', 'ansible_user', 'ansible_ssh_user',
  'ansible_ssh_private_key_file', 'ansible_private_key_file', 'ansible_become_user', 'ansible_sudo_user', 'ansible_become_method',
];
export const PORT_VARS = ['ansible_port', 'ansible_ssh_port'];
/** Secrets Ansible reads from inventories; this tool never reads a secret from a file. */
export const PASSWORD_VARS = ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass', 'ansible_sudo_password', 'ansible_su_pass'];
/** SSH login passwords: not read from a file either (the tool logs in with a key or an agent). */
export const SSH_PASSWORD_VARS = ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'];

const TRUE_WORDS = ['y', 'yes', 'on', '1', 'true', 't', '1.0'];
const FALSE_WORDS = ['n', 'no', 'off', '0', 'false', 'f', '0.0', ''];

/** Ansible's boolean(): undefined when the value is not a recognisable boolean. */
export function ansibleBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value == null) return false;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE_WORDS.includes(v)) return true;
    if (FALSE_WORDS.includes(v)) return false;
  }
  return undefined;
}

export function portOf(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** Why a connection var's value is unusable, or undefined when it is fine. */
export function badVar(key: string, value: unknown): string | undefined {
  if (PORT_VARS.includes(key)) {
    if (portOf(value) === undefined) return `${key} must be an integer from 1 to 65535, not ${JSON.stringify(value)}`;
  } else if (STRING_VARS.includes(key)) {
    if (typeof value !== 'string' || value.trim() === '') return `${key} must be a non-empty string, not ${JSON.stringify(value)}`;
    // eslint-disable-next-line no-control-regex
    if ((key.endsWith('host') || key.endsWith('user')) && /[\x00-\x1f\x7f]/.test(value)) {
      return `${key} must not contain control characters (newline, tab, ...): ${JSON.stringify(value)}`;
    }
  } else if (key === 'ansible_become') {
    if (ansibleBoolean(value) === undefined) return `ansible_become must be a boolean (true/false, yes/no), not ${JSON.stringify(value)}`;
  } else if (PASSWORD_VARS.includes(key)) {
    return `${key} is not read from a file (secrets stay off the disk): remove it and set BECOME_PASSWORD in the environment or .env`;
  } else if (SSH_PASSWORD_VARS.includes(key)) {
    return `${key} is not read from a file (secrets stay off the disk): remove it and log in with a key (ansible_ssh_private_key_file, SSH_KEY_PASSPHRASE for its passphrase) or an agent`;
  }
  return undefined;
}
