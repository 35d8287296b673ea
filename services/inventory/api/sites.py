"""/api/v1/sites: sites and their demand. Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import DemandResultSchema, DemandSchema, SiteCreateSchema, SiteQueryArgsSchema, SiteSchema
from ..services import sites
from .common import blp, deps, now


@blp.route("/sites")
class Sites(MethodView):
    @blp.arguments(SiteCreateSchema())
    @blp.response(201, SiteSchema)
    def post(self, payload):
        """Register a blood station or hospital"""
        return sites.create_site(deps().uow(), now=now(), **payload)

    @blp.arguments(SiteQueryArgsSchema(), location="query")
    @blp.response(200, SiteSchema(many=True))
    def get(self, args):
        """List sites"""
        return sites.list_sites(deps().uow(), **args)


@blp.route("/sites/<string:site_id>")
class SiteById(MethodView):
    @blp.response(200, SiteSchema)
    def get(self, site_id):
        """A site (the gateway reads a site user's region from it)"""
        return sites.get_site(deps().uow(), site_id)


@blp.route("/sites/<string:site_id>/demand")
class SiteDemand(MethodView):
    @blp.arguments(DemandSchema())
    @blp.response(200, DemandResultSchema)
    def put(self, payload, site_id):
        """Set a site's baseline daily demand (used until there is issue history)"""
        return sites.set_demand(deps().uow(), current_principal(), site_id=site_id, now=now(), **payload)

    @blp.response(200, DemandResultSchema)
    def get(self, site_id):
        """A site's baseline daily demand"""
        return sites.get_demand(deps().uow(), site_id)
