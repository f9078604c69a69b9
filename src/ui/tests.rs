//! Snapshot tests of rendered screens (TestBackend + insta).
