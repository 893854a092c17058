//! Path engine.
