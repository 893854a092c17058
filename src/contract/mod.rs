//! Validated contracts: cluster economics, loan, swap, waterfall, CSA.
