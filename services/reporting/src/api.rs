//! The gRPC face of reporting.

use partnership_platform::ServiceError;
use partnership_proto::reporting as pb;
use tonic::{Request, Response, Status};

use crate::Reporting;

pub struct ReportingApi {
    reporting: Reporting,
}

impl ReportingApi {
    pub fn new(reporting: Reporting) -> Self {
        Self { reporting }
    }
}

#[tonic::async_trait]
impl pb::reporting_service_server::ReportingService for ReportingApi {
    async fn get_report(&self, request: Request<pb::GetReportRequest>) -> Result<Response<pb::Report>, Status> {
        let req = request.into_inner();
        let scope = req.scope.ok_or_else(|| ServiceError::invalid("scope", "is required"))?;
        let quarter = u32::try_from(req.quarter).map_err(|_| ServiceError::invalid("quarter", "must be 1 to 4"))?;
        let report = self.reporting.report(req.year, quarter, scope, req.strict).await?;
        Ok(Response::new(report))
    }

    async fn list_reports(&self, _request: Request<pb::ListReportsRequest>) -> Result<Response<pb::ListReportsResponse>, Status> {
        Ok(Response::new(self.reporting.available().await?))
    }
}
