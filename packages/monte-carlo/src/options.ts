import { invalidArgument } from '@latticediff/tensor-network';

/**
 * Refuses an option outside `known` (a misspelt `chain` for `chains` would otherwise be ignored
 * and the default used without a word). Properties whose value is undefined are allowed.
 */
export function assertKnownOptions(
  functionName: string,
  options: object,
  known: readonly string[],
): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) {
      invalidArgument(
        functionName,
        `options.${key}`,
        value,
        `absent: \`${functionName}\` has no option \`${key}\` (its options are ${known.map((k) => `\`${k}\``).join(', ')})`,
      );
    }
  }
}
