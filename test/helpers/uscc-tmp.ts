const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
export function usccCheckChar(first17: string): string {
  let sum = 0, w = 1;
  for (let i = 0; i < 17; i++) { sum += ALPHABET.indexOf(first17[i]) * w; w = (w * 3) % 31; }
  return ALPHABET[(31 - (sum % 31)) % 31];
}
