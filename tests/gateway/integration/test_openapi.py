"""The merged OpenAPI document and the docs page, served without any CDN."""
from gateway.openapi import merge


def test_merge_keeps_each_services_public_paths_and_prefixes_their_schemas():
    own = {"paths": {"/api/v1/auth/token": {"post": {"responses": {}}}, "/healthz": {"get": {}}},
           "components": {"schemas": {"Token": {"type": "object"}}}}
    donor = {"paths": {"/api/v1/donors": {"post": {"responses": {"201": {"content": {"application/json": {
                 "schema": {"$ref": "#/components/schemas/Donor"}}}}}}},
                       "/api/v1/waiver/sneaky": {"get": {}}, "/readyz": {"get": {}}},
             "components": {"schemas": {"Donor": {"type": "object"}}}}
    merged = merge(own, {"donor": donor, "inventory": None, "waiver": {"paths": {}, "components": {}}})
    assert set(merged["paths"]) == {"/api/v1/auth/token", "/api/v1/donors"}   # not another service's path
    ref = merged["paths"]["/api/v1/donors"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert ref == {"$ref": "#/components/schemas/DonorDonor"}
    assert {"GatewayToken", "DonorDonor"} <= set(merged["components"]["schemas"])
    assert merged["paths"]["/api/v1/auth/token"]["post"]["security"] == []     # public endpoint
    assert merged["info"]["x-unavailable"] == ["inventory"]


def test_gateway_serves_the_merged_spec_and_docs_with_local_assets(client, upstream):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/users" in spec["paths"]
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in page and "http" not in page.split("<body>")[1].split("url:")[0]
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200
