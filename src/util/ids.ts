// The range of user and group ids, shared by the config tables (which refuse others) and the user
// database lookups (which must never let a larger number wrap around to a real id).

/**
 * The largest user or group id: ids are 32-bit, and 4294967295 is (uid_t)-1, "leave unchanged" to
 * setresuid. 4294967296 passed as a 32-bit id would become 0, root.
 */
export const MAX_ID = 4294967294;

/** Whether `id` is a whole number from 0 to MAX_ID. */
export function isValidId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= MAX_ID;
}
