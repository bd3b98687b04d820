/** Seeded randomness: the one generator every reproducible draw in Lakay comes from. */
export { SeededRandom } from "./seeded-random.js";
