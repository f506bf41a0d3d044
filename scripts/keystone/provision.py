"""Provision a fresh Keystone for the harness, over Keystone's REST API.

Run by scripts/keystone-up with the Keystone venv's python, after
`keystone-manage bootstrap`. Creates the projects, roles, users and role
assignments of the harness personas, checks that each persona gets the token
it should, and writes into the state dir (mode 600, secrets never printed):

  secrets/<user>.password   one password per user (dir 700)
  personas.yaml             the harness's personas file
  clouds.yaml               openstacksdk clouds, one per persona
  placement-service.env     the `placement` service user, for auth_token

Usage: provision.py --url URL --state-dir DIR
(the bootstrap admin's password is read from DIR/secrets/admin.password).
"""

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request

DOMAIN = "Default"
DOMAIN_ID = "default"

# persona name -> (user, project or None, role or None, system scope)
# `admin` is the bootstrap admin (project admin, role admin; bootstrap also
# gives it admin on the system). `norole` has no role assignment at all:
# it can only get an unscoped token (no project, no roles).
PERSONAS = [
    ("admin", "admin", "admin", "admin", False),
    ("service", "service", "service", "service", False),
    ("tenant-a-reader", "tenant-a-reader", "tenant-a", "reader", False),
    ("tenant-a-member", "tenant-a-member", "tenant-a", "member", False),
    ("tenant-a-admin", "tenant-a-admin", "tenant-a", "admin", False),
    ("tenant-b-reader", "tenant-b-reader", "tenant-b", "reader", False),
    ("tenant-b-member", "tenant-b-member", "tenant-b", "member", False),
    ("norole", "norole", None, None, False),
    ("system-admin", "system-admin", None, "admin", True),
]
# The service user keystonemiddleware's auth_token logs in as. Keystone's
# identity:validate_token allows rule:service_role, so `service` suffices.
PLACEMENT_USER = ("placement", "service", "service")

PROJECTS = ["service", "tenant-a", "tenant-b"]
ROLES = ["reader", "member", "admin", "service"]



class KeystoneError(Exception):
    pass


class Client:
    def __init__(self, url):
        self.v3 = url.rstrip("/") + "/v3"
        self.token = None

    def call(self, method, path, body=None, expect=(200, 201, 204), token=True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.v3 + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token and self.token:
            req.add_header("X-Auth-Token", self.token)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, headers, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, e.headers, e.read()
        if status not in expect:
            # Never echo the request body: it may hold a password.
            raise KeystoneError(f"{method} {path}: HTTP {status}")
        doc = json.loads(raw) if raw else {}
        return status, headers, doc

    def authenticate(self, username, password, scope, expect=(201,)):
        auth = {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": username,
                        "domain": {"name": DOMAIN},
                        "password": password,
                    }
                },
            }
        }
        if scope is not None:
            auth["scope"] = scope
        return self.call(
            "POST", "/auth/tokens", {"auth": auth}, expect=expect, token=False
        )


def project_scope(name):
    return {"project": {"name": name, "domain": {"name": DOMAIN}}}


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def q(s):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--state-dir", required=True)
    args = ap.parse_args()

    state = os.path.abspath(args.state_dir)
    secrets_dir = os.path.join(state, "secrets")
    os.makedirs(secrets_dir, mode=0o700, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    auth_url = args.url.rstrip("/") + "/v3"

    def pw_file(user):
        return os.path.join(secrets_dir, f"{user}.password")

    with open(pw_file("admin")) as f:
        admin_pw = f.read().strip()

    ks = Client(args.url)
    _, headers, _ = ks.authenticate("admin", admin_pw, project_scope("admin"))
    ks.token = headers["X-Subject-Token"]

    projects = {}
    for name in PROJECTS + ["admin"]:
        _, _, doc = ks.call("GET", f"/projects?name={name}&domain_id={DOMAIN_ID}")
        if doc["projects"]:
            projects[name] = doc["projects"][0]["id"]
            continue
        _, _, doc = ks.call(
            "POST",
            "/projects",
            {"project": {"name": name, "domain_id": DOMAIN_ID,
                         "description": "harness persona project"}},
        )
        projects[name] = doc["project"]["id"]

    roles = {}
    _, _, doc = ks.call("GET", "/roles")
    for r in doc["roles"]:
        roles[r["name"]] = r["id"]
    for name in ROLES:
        if name not in roles:
            _, _, d = ks.call("POST", "/roles", {"role": {"name": name}})
            roles[name] = d["role"]["id"]

    # Keystone 30's bootstrap makes admin imply manager imply member imply
    # reader; a token lists the expanded roles. Read the rules back.
    _, _, doc = ks.call("GET", "/role_inferences")
    direct = {}
    for rule in doc["role_inferences"]:
        direct.setdefault(rule["prior_role"]["name"], set()).update(
            r["name"] for r in rule["implies"]
        )

    def implied(role):
        out, todo = set(), [role]
        while todo:
            r = todo.pop()
            if r not in out:
                out.add(r)
                todo.extend(direct.get(r, ()))
        return out

    passwords = {"admin": admin_pw}
    users = {}
    _, _, doc = ks.call("GET", f"/users?name=admin&domain_id={DOMAIN_ID}")
    users["admin"] = doc["users"][0]["id"]
    wanted = [(u, p, r, s) for (_, u, p, r, s) in PERSONAS if u != "admin"]
    wanted.append((*PLACEMENT_USER, False))
    for user, project, role, system in wanted:
        pw = secrets.token_urlsafe(24)
        _, _, d = ks.call(
            "POST",
            "/users",
            {"user": {"name": user, "domain_id": DOMAIN_ID, "password": pw,
                      "enabled": True}},
        )
        users[user] = d["user"]["id"]
        passwords[user] = pw
        write_private(pw_file(user), pw + "\n")
        if role is None:
            continue
        if system:
            ks.call("PUT", f"/system/users/{users[user]}/roles/{roles[role]}")
        else:
            ks.call(
                "PUT",
                f"/projects/{projects[project]}/users/{users[user]}"
                f"/roles/{roles[role]}",
            )

    # Check each persona gets exactly the token it is meant to.
    for name, user, project, role, system in PERSONAS + [
        ("placement", *PLACEMENT_USER, False)
    ]:
        if system:
            scope = {"system": {"all": True}}
        elif project:
            scope = project_scope(project)
        else:
            scope = None
        _, _, d = ks.authenticate(user, passwords[user], scope)
        tok = d["token"]
        got = {r["name"] for r in tok.get("roles", [])}
        want = implied(role) if role else set()
        if got != want:
            raise KeystoneError(f"persona {name}: roles {sorted(got)}, "
                                f"expected {sorted(want)}")
        if project and tok.get("project", {}).get("id") != projects[project]:
            raise KeystoneError(f"persona {name}: token not scoped to {project}")
        if system and tok.get("system") != {"all": True}:
            raise KeystoneError(f"persona {name}: token not system-scoped")
        if scope is None and ("project" in tok or "system" in tok):
            raise KeystoneError(f"persona {name}: token is not unscoped")
    # ... and that norole cannot get a project-scoped token.
    ks.authenticate("norole", passwords["norole"], project_scope("tenant-a"),
                    expect=(401,))

    # An application credential of tenant-a-member (scoped to tenant-a by
    # the token that made it): a persona that authenticates without a
    # password, as CI jobs often do.
    _, headers, _ = ks.authenticate("tenant-a-member", passwords["tenant-a-member"],
                                    project_scope("tenant-a"))
    app = Client(args.url)
    app.token = headers["X-Subject-Token"]
    _, _, d = app.call(
        "POST",
        f"/users/{users['tenant-a-member']}/application_credentials",
        {"application_credential": {"name": "placement-harness",
                                    "description": "scripts/keystone-up"}},
    )
    app_cred_id = d["application_credential"]["id"]
    write_private(pw_file("tenant-a-member-appcred"),
                  d["application_credential"]["secret"] + "\n")

    # personas.yaml (the harness's format).
    lines = [
        "# Written by scripts/keystone-up for the Keystone at " + args.url,
        "# norole has no role assignment: it authenticates unscoped (no",
        "# project, no roles). system-admin has role admin on system all.",
        "personas:",
        "  - name: anonymous",
        "    anonymous: true",
    ]
    for name, user, project, role, system in PERSONAS:
        lines += [
            f"  - name: {q(name)}",
            "    keystone:",
            f"      auth_url: {q(auth_url)}",
            f"      username: {q(user)}",
            f"      password_file: {q(pw_file(user))}",
            f"      user_domain_name: {q(DOMAIN)}",
        ]
        if project:
            lines += [
                f"      project_name: {q(project)}",
                f"      project_domain_name: {q(DOMAIN)}",
            ]
        if system:
            lines.append("      system_scope: all")
    lines += [
        "  - name: \"tenant-a-member-appcred\"",
        "    keystone:",
        f"      auth_url: {q(auth_url)}",
        f"      application_credential_id: {q(app_cred_id)}",
        f"      application_credential_secret_file: {q(pw_file('tenant-a-member-appcred'))}",
    ]
    write_private(os.path.join(state, "personas.yaml"), "\n".join(lines) + "\n")

    # clouds.yaml (openstacksdk; passwords inline, as openstacksdk wants).
    lines = [
        "# Written by scripts/keystone-up for the Keystone at " + args.url,
        "clouds:",
    ]
    for name, user, project, role, system in PERSONAS:
        lines += [
            f"  {q(name)}:",
            "    auth_type: password",
            "    identity_api_version: 3",
            "    region_name: RegionOne",
            "    auth:",
            f"      auth_url: {q(auth_url)}",
            f"      username: {q(user)}",
            f"      password: {q(passwords[user])}",
            f"      user_domain_name: {q(DOMAIN)}",
        ]
        if project:
            lines += [
                f"      project_name: {q(project)}",
                f"      project_domain_name: {q(DOMAIN)}",
            ]
        if system:
            lines.append("      system_scope: all")
    write_private(os.path.join(state, "clouds.yaml"), "\n".join(lines) + "\n")

    # The placement service user, KEY=VALUE (values are [A-Za-z0-9_:/.-]).
    pu, pp, _ = PLACEMENT_USER
    env = {
        "KEYSTONE_URL": args.url.rstrip("/"),
        "AUTH_URL": auth_url,
        "USERNAME": pu,
        "PASSWORD": passwords[pu],
        "USER_DOMAIN_NAME": DOMAIN,
        "PROJECT_NAME": pp,
        "PROJECT_DOMAIN_NAME": DOMAIN,
    }
    write_private(
        os.path.join(state, "placement-service.env"),
        "".join(f"{k}={v}\n" for k, v in env.items()),
    )


if __name__ == "__main__":
    try:
        main()
    except (KeystoneError, OSError, KeyError, ValueError) as e:
        print(f"keystone-up: provisioning failed: {e}", file=sys.stderr)
        sys.exit(1)
