/** Input bounds, enforced before anything touches AWS. */
export const limits = {
  maxBodyBytes: 16 * 1024,
  maxIdLength: 128,
  maxNameLength: 200,
  maxDescriptionLength: 4_000,
  maxPrice: 1_000_000_000,
  listDefaultLimit: 25,
  listMaxLimit: 100,
} as const;
