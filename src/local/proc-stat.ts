/**
 * Fields `numbers` (1-based, as proc(5) numbers them, 3 or later) of one line of /proc/<pid>/stat.
 * The command name (field 2) is in parentheses and may itself hold spaces or ')', so fields are
 * counted after the last closing parenthesis.
 */
export function procStatFields(stat: string, ...numbers: number[]): (string | undefined)[] {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return numbers.map((n) => fields[n - 3]);
}
