//! What formats share: the helpers every reader needs, written once.
//!
//! A format module imports from here, from [`crate::json`], [`crate::xml`] and from its own
//! family folder, nothing else (the parsers' `architecture` test reads the sources and fails
//! otherwise). A helper that a second family needs moves here. Everything is pure: no I/O.
//!
//! * [`text`]: trimming, whitespace, HTML to text, numbered code lines, secret tokens;
//! * [`ids`]: vulnerability ids (CVE, GHSA, OSV, distro advisories);
//! * [`packages`]: package ecosystems and package URLs (through the `packageurl` crate);
//! * [`url`]: URLs and percent-decoding (through the `percent-encoding` crate);
//! * [`base64`]: base64 payloads (through the `base64` crate);
//! * [`severity`]: the severity scales formats share, as tables;
//! * [`read`]: reading JSON items leniently (skip one, keep the rest);
//! * [`concern`]: whether the tool classes a result as code quality, not security.

pub(crate) mod base64;
pub(crate) mod concern;
pub(crate) mod ids;
pub(crate) mod packages;
pub(crate) mod read;
pub(crate) mod secrets;
pub(crate) mod severity;
pub(crate) mod text;
pub(crate) mod url;

pub(crate) use concern::*;
pub(crate) use ids::*;
pub(crate) use packages::*;
pub(crate) use read::*;
pub(crate) use secrets::*;
pub(crate) use text::*;
pub(crate) use url::*;
