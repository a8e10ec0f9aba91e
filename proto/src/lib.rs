//! The partnership suite's protobuf APIs: one package per service
//! (`partnership.<service>.v1`), common types, and `google.type.Date`.
//!
//! The code is generated at build time from the `.proto` files next to this
//! crate; the module tree mirrors the protobuf packages so cross-package
//! references resolve.

pub mod google {
    pub mod r#type {
        include!(concat!(env!("OUT_DIR"), "/google.r#type.rs"));
    }
}

pub mod partnership {
    pub mod common {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.common.v1.rs"));
        }
    }
    pub mod intake {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.intake.v1.rs"));
        }
    }
    pub mod employment {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.employment.v1.rs"));
        }
    }
    pub mod beschut {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.beschut.v1.rs"));
        }
    }
    pub mod reporting {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.reporting.v1.rs"));
        }
    }
    pub mod finance {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.finance.v1.rs"));
        }
    }
    pub mod audit {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/partnership.audit.v1.rs"));
        }
    }
}

pub use partnership::audit::v1 as audit;
pub use partnership::common::v1 as common;
pub use partnership::beschut::v1 as beschut;
pub use partnership::employment::v1 as employment;
pub use partnership::finance::v1 as finance;
pub use partnership::intake::v1 as intake;
pub use partnership::reporting::v1 as reporting;

/// The encoded `FileDescriptorSet` of every partnership proto (and the
/// types they import), for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/partnership_descriptor.bin"));
