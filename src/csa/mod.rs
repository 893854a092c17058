//! The margin agreement between the SPV and the swap trader (SPEC §10, seed 002 "Credit and
//! Collateral"): the conditional mark-to-market of the swap ([`mtm`]), the CSA state machine with
//! variation margin, trader liquidity and trader default ([`agreement`]), and initial margin
//! ([`im`]). Must not: know the loan or the waterfall, draw random numbers (uniforms are passed
//! in), or do I/O.

pub mod agreement;
pub mod im;
pub mod mtm;
pub mod surface;
