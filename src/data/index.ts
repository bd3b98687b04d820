/** The data layer: PaySim schema, streaming readers and writers, synthetic generator. */
export {
  TX_TYPES,
  TX_TYPE_CODE,
  txTypeCode,
  REQUIRED_COLUMNS,
  LABEL_COLUMNS,
  transactionAt,
} from "./paysim-schema.js";
export type { TxType, Transactions, TransactionRecord, NameLookup, PaysimColumn } from "./paysim-schema.js";
export { readFeatureCsv } from "./feature-csv-reader.js";
export type { NumericCsv } from "./feature-csv-reader.js";
export { writeFeatureCsv } from "./feature-csv-writer.js";
export { parseDecimal } from "./parse-number.js";
export { writeNumber } from "./number-text.js";
export { readPaysim } from "./paysim-reader.js";
export type { ReadPaysimOptions, PaysimReadResult, RejectReason } from "./paysim-reader.js";
export { NameTable } from "./name-table.js";
export { float64Column } from "./growable.js";
export { generatePaysim, PAYSIM_FRAUD_RATE } from "./paysim-generator.js";
export type { GeneratePaysimOptions, GenerateSummary } from "./paysim-generator.js";
export { PAYSIM_TYPE_MIX, parseTypeMix } from "./paysim-profile.js";
export type { PaysimDrift } from "./paysim-profile.js";
export { summarisePaysim } from "./paysim-summary.js";
export type { PaysimSummary } from "./paysim-summary.js";
