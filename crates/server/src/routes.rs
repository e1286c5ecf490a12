//! The route table: every route the service answers and who may reach it.
//!
//! The router is built from this table and nothing else, so the table is
//! complete by construction. Tests walk it: each route must have a
//! tenant-isolation case, so a new route without one fails the suite.

use axum::Router;
use axum::handler::Handler;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// Who may reach a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks, the OpenAPI document, metrics when turned on.
    Public,
    /// Whoever holds a client's private link, which is in the path.
    ClientLink,
    /// A practitioner with an API token; sees their own clinic only.
    Clinic,
    /// A web page for anyone (landing, sign-in, self-check, assets).
    PublicPage,
    /// A web page for a signed-in practitioner (session cookie); shows
    /// their own clinic only.
    SignedIn,
    /// A web page reached with a secret link in the path: a client's
    /// check-in link, a self-check diary or a one-time setup link.
    LinkPage,
}

/// One route the service answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path pattern, e.g. `/api/v1/clients/{id}`.
    pub path: &'static str,
    /// Who may reach it.
    pub access: Access,
}

/// A router under construction, with the list of what it serves.
pub(crate) struct RouteTable {
    router: Router<AppState>,
    routes: Vec<Route>,
}

impl RouteTable {
    /// An empty table.
    pub(crate) fn new() -> RouteTable {
        RouteTable {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    /// Adds `GET path`.
    pub(crate) fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> RouteTable
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("GET", path, access, axum::routing::get(handler))
    }

    /// Adds `POST path`.
    pub(crate) fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> RouteTable
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("POST", path, access, axum::routing::post(handler))
    }

    /// Adds `PUT path`.
    pub(crate) fn put<H, T>(self, path: &'static str, access: Access, handler: H) -> RouteTable
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("PUT", path, access, axum::routing::put(handler))
    }

    /// Adds `PATCH path`.
    pub(crate) fn patch<H, T>(self, path: &'static str, access: Access, handler: H) -> RouteTable
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("PATCH", path, access, axum::routing::patch(handler))
    }

    /// Adds `DELETE path`.
    pub(crate) fn delete<H, T>(self, path: &'static str, access: Access, handler: H) -> RouteTable
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add("DELETE", path, access, axum::routing::delete(handler))
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        method_router: MethodRouter<AppState>,
    ) -> RouteTable {
        // Every route refuses control characters in its path and query
        // parameters before its handler reads them (see `extract`).
        let guarded = crate::extract::GuardedRoute {
            pattern: path,
            is_page: matches!(
                access,
                Access::PublicPage | Access::SignedIn | Access::LinkPage
            ),
        };
        let method_router = method_router.route_layer(axum::middleware::from_fn_with_state(
            guarded,
            crate::extract::refuse_control_characters,
        ));
        // axum merges a second method on a known path into its route.
        self.router = self.router.route(path, method_router);
        self.routes.push(Route {
            method,
            path,
            access,
        });
        self
    }

    /// The router and the list of its routes.
    pub(crate) fn into_parts(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.routes)
    }
}

/// Every route of the service, in one table.
pub(crate) fn table() -> RouteTable {
    let table = RouteTable::new()
        .get(
            "/api/v1/openapi.json",
            Access::Public,
            crate::openapi::document,
        )
        .get("/healthz", Access::Public, crate::health::healthz)
        .get("/readyz", Access::Public, crate::health::readyz)
        .get("/metrics", Access::Public, crate::metrics::render);
    let table = crate::api::routes(table);
    crate::web::routes(table)
}

/// Every route the service answers, with who may reach it.
pub fn route_table() -> Vec<Route> {
    table().into_parts().1
}
