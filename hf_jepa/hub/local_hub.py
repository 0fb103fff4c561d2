# Copyright 2026 The hf_jepa Authors. Licensed under the Apache License, Version 2.0.
"""A local stand-in for the Hugging Face Hub, for tests and for trying a push offline.

`LocalHub` speaks the subset of the Hub's HTTP API that the real `huggingface_hub` client uses to create a model
repository or a Space, commit files to it and download them again (`{kind}` is `models` or `spaces`; the download
and LFS URLs of a Space start with `/spaces`):

- `POST /api/repos/create` (a Space needs an `sdk`: `create_repo(repo_type="space", space_sdk=...)`),
  `POST /api/validate-yaml`;
- `POST /api/{kind}/{repo}/preupload/{rev}` (regular or LFS upload mode, remote oids so unchanged files are skipped)
  and `POST /api/{kind}/{repo}/commit/{rev}` (ndjson: `file`, `lfsFile`, `deletedFile`, `deletedFolder`);
- the git-LFS basic transfer: `POST /[spaces/]{repo}.git/info/lfs/objects/batch`, then `PUT` and verify on URLs it
  hands out;
- `GET /api/{kind}/{repo}[/revision/{rev}]` (`model_info` / `space_info` / `repo_info`), `GET
  /api/{kind}/{repo}/tree/{rev}[/path]` and `HEAD` / `GET /[spaces/]{repo}/resolve/{rev}/{path}` (`hf_hub_download`,
  `snapshot_download`, `from_pretrained`);
- `POST /api/spaces/{repo}/variables` (`add_space_variable`).

Xet storage is not spoken: clients must run with `HF_HUB_DISABLE_XET=1`, which makes `huggingface_hub` use its LFS
path (`LocalHub.client_env` sets it). Everything is kept in memory. `fail_next` makes an endpoint answer with an
HTTP error, to test how failures surface; `requests` records the endpoint of every request served and `unhandled`
every request no route matched.

`python -m hf_jepa.hub.local_hub --port 8765` serves one until Ctrl-C, to try `--push_to_hub` by hand.

The environment variables the client reads (`HF_ENDPOINT`, `HF_HUB_DISABLE_XET`, ...) are read once when
`huggingface_hub` is imported, so clients run in subprocesses started with `client_env(...)`.
"""

import argparse
import base64
import datetime
import hashlib
import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

# The Hub stores binary files and files from 10 MB up in LFS; smaller text files are regular git blobs.
LFS_THRESHOLD_BYTES = 10 * 1024 * 1024
_JSON_TYPES = ("application/json", "application/vnd.git-lfs+json")
_REPO = r"(?P<repo>[\w.-]+/[\w.-]+)"
_API = rf"^/api/(?P<kind>models|spaces)/{_REPO}"  # the API routes of a repository, `kind` as in the URL
_FILES = rf"^/(?:(?P<kind>spaces)/)?{_REPO}"  # download and LFS URLs: a Space's start with /spaces
_ROUTES = [
    ("POST", "create", re.compile(r"^/api/repos/create$")),
    ("POST", "validate-yaml", re.compile(r"^/api/validate-yaml$")),
    ("GET", "info", re.compile(rf"{_API}(?:/revision/(?P<rev>[^/]+))?$")),
    ("GET", "tree", re.compile(rf"{_API}/tree/(?P<rev>[^/]+)(?:/(?P<path>.+))?$")),
    ("POST", "preupload", re.compile(rf"{_API}/preupload/(?P<rev>[^/]+)$")),
    ("POST", "commit", re.compile(rf"{_API}/commit/(?P<rev>[^/]+)$")),
    ("POST", "space-variables", re.compile(rf"^/api/(?P<kind>spaces)/{_REPO}/variables$")),
    ("POST", "lfs-batch", re.compile(rf"{_FILES}\.git/info/lfs/objects/batch$")),
    ("PUT", "lfs-upload", re.compile(r"^/lfs-storage/(?P<oid>[0-9a-f]{64})$")),
    ("POST", "lfs-verify", re.compile(r"^/lfs-storage/(?P<oid>[0-9a-f]{64})/verify$")),
    ("HEAD", "resolve", re.compile(rf"{_FILES}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")),
    ("GET", "resolve", re.compile(rf"{_FILES}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")),
]
SPACE_SDKS = ("gradio", "docker", "static")


def _route(method: str, path: str) -> tuple[str, re.Match] | None:
    for route_method, name, pattern in _ROUTES:
        match = pattern.match(path)
        if route_method == method and match:
            return name, match
    return None


def git_blob_oid(content: bytes) -> str:
    """The git object id of a regular file (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(content: bytes) -> bytes:
    """The git-LFS pointer file that git stores in place of a large file."""
    oid = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n".encode()


@dataclass
class StoredFile:
    content: bytes
    lfs: bool

    @property
    def oid(self) -> str:
        """Git blob id: of the content for regular files, of the pointer for LFS files (as git does)."""
        return git_blob_oid(lfs_pointer(self.content) if self.lfs else self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def etag(self) -> str:
        """What the Hub sends as the file's ETag: the sha256 for LFS files, the git blob id otherwise."""
        return self.sha256 if self.lfs else self.oid


@dataclass
class Commit:
    oid: str
    title: str
    files: dict[str, StoredFile]
    date: str


def repo_key(repo_id: str, repo_type: str = "model") -> str:
    """Where `LocalHub.repos` keeps a repository: a model under its id, a Space under `spaces/{id}` (as in URLs)."""
    return repo_id if repo_type == "model" else f"{repo_type}s/{repo_id}"


def _key(kind: str | None, repo: str) -> str:
    """`repo_key` from the `kind` part of a URL (`models`, `spaces` or absent)."""
    return repo_key(repo, "space" if kind == "spaces" else "model")


@dataclass
class Repo:
    repo_id: str
    private: bool
    repo_type: str = "model"
    sdk: str | None = None  # a Space's SDK
    variables: dict[str, str] = field(default_factory=dict)  # a Space's variables
    commits: list[Commit] = field(default_factory=list)

    @property
    def head(self) -> Commit:
        return self.commits[-1]

    def at(self, revision: str) -> Commit | None:
        if revision == "main":
            return self.head
        return next((commit for commit in self.commits if commit.oid == revision), None)


class HubError(Exception):
    """An HTTP error answer, with the headers the client uses to classify it (`X-Error-Code`)."""

    def __init__(self, status: int, message: str, error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _front_matter(text: str) -> dict:
    """The YAML metadata block of a README, `{}` when there is none; raises `yaml.YAMLError` when it is invalid."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, flags=re.DOTALL)
    if match is None:
        return {}
    metadata = yaml.safe_load(match.group(1)) or {}
    if not isinstance(metadata, dict):
        raise yaml.YAMLError(f"the metadata must be a mapping, got {type(metadata).__name__}")
    return metadata


class LocalHub:
    """An in-memory Hub on `127.0.0.1`, served from a background thread; `start()` / `stop()` or a `with` block.

    Args:
        user: namespace of repositories created without one (what the Hub takes from the token).
        token: when set, writes (and reads of private repositories) need `Authorization: Bearer <token>`.
        port: the port to listen on; 0 picks a free one.
    """

    def __init__(self, user: str = "hf-jepa-tester", token: str | None = None, port: int = 0):
        self.port = port
        self.user = user
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.unhandled: list[str] = []
        self._failures: dict[str, list[int]] = defaultdict(list)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("The local hub is not running; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "LocalHub":
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> "LocalHub":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def client_env(self, home: str | Path, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a client process: this hub as endpoint, a private cache under `home`, no Xet."""
        env = dict(base or {})
        env.update(
            HF_ENDPOINT=self.endpoint,
            HF_HOME=str(home),
            HF_HUB_OFFLINE="0",
            HF_HUB_DISABLE_XET="1",
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
        )
        if self.token is not None:
            env["HF_TOKEN"] = self.token
        else:
            env.pop("HF_TOKEN", None)
        return env

    def fail_next(self, endpoint: str, status: int = 500, times: int = 1) -> None:
        """Makes the next `times` requests to `endpoint` (a route name such as `"commit"`) answer with `status`."""
        if endpoint not in {name for _, name, _ in _ROUTES}:
            raise ValueError(f"Unknown endpoint {endpoint!r}; choose one of {sorted({n for _, n, _ in _ROUTES})}.")
        with self._lock:
            self._failures[endpoint].extend([status] * times)

    def files(self, repo_id: str, revision: str = "main", repo_type: str = "model") -> dict[str, bytes]:
        """The files of a repository (`repo_type` "model" or "space") at a revision, as `{path: content}`."""
        commit = self.repos[repo_key(repo_id, repo_type)].at(revision)
        return {path: stored.content for path, stored in commit.files.items()}

    def served(self, endpoint: str) -> int:
        """How many requests to `endpoint` were answered (failed ones included)."""
        return sum(1 for _, name in self.requests if name == endpoint)

    # The handlers below run on server threads; each returns (status, headers, body) or raises HubError.

    def _check_failure(self, endpoint: str) -> None:
        with self._lock:
            pending = self._failures[endpoint]
            status = pending.pop(0) if pending else None
        if status is not None:
            raise HubError(status, f"Injected failure of the {endpoint} endpoint (HTTP {status}).")

    def _check_write_access(self, authorization: str | None) -> None:
        if self.token is not None and authorization != f"Bearer {self.token}":
            raise HubError(401, "Invalid credentials in Authorization header")

    def _repo(self, repo_id: str, authorization: str | None, kind: str | None = None) -> Repo:
        repo = self.repos.get(_key(kind, repo_id))
        readable = repo is not None and (
            not repo.private or self.token is None or authorization == f"Bearer {self.token}"
        )
        if not readable:
            raise HubError(404, f"Repository {repo_id} not found", "RepoNotFound")
        return repo

    def _commit(self, repo: Repo, revision: str) -> Commit:
        commit = repo.at(unquote(revision))
        if commit is None:
            raise HubError(404, f"Invalid rev id: {unquote(revision)}", "RevisionNotFound")
        return commit

    def _new_commit(self, repo: Repo, title: str, files: dict[str, StoredFile]) -> Commit:
        parent = repo.commits[-1].oid if repo.commits else ""
        oid = hashlib.sha1(f"{parent}\n{title}\n{len(repo.commits)}\n{sorted(files)}".encode()).hexdigest()
        commit = Commit(oid=oid, title=title, files=files, date=_now())
        repo.commits.append(commit)
        return commit

    def handle_create(self, body: dict, authorization: str | None, **_) -> tuple:
        self._check_write_access(authorization)
        repo_type = body.get("type", "model")
        if repo_type not in ("model", "space"):
            raise HubError(400, f"The local hub hosts models and Spaces only, got type {repo_type!r}.")
        if repo_type == "space" and body.get("sdk") not in SPACE_SDKS:
            raise HubError(400, f"A Space needs an sdk, one of {SPACE_SDKS}; got {body.get('sdk')!r}.")
        repo_id = f"{body.get('organization') or self.user}/{body['name']}"
        key = repo_key(repo_id, repo_type)
        url = f"{self.endpoint}/{key}"
        with self._lock:
            if key in self.repos:
                return 409, {}, {"error": f"You already created this {repo_type} repo", "url": url}
            private = body.get("visibility", "private" if body.get("private") else "public") != "public"
            repo = Repo(repo_id=repo_id, private=private, repo_type=repo_type, sdk=body.get("sdk"))
            self._new_commit(repo, "initial commit", {})
            self.repos[key] = repo
        return 200, {}, {"url": url, "name": repo_id, "id": repo_id}

    def handle_validate_yaml(self, body: dict, **_) -> tuple:
        try:
            _front_matter(body.get("content", ""))
        except yaml.YAMLError as error:
            return 400, {}, {"errors": [{"message": f"Invalid YAML metadata: {error}"}], "warnings": []}
        return 200, {}, {"errors": [], "warnings": []}

    def handle_info(self, kind: str, repo: str, rev: str | None, authorization: str | None, **_) -> tuple:
        stored_repo = self._repo(repo, authorization, kind)
        commit = self._commit(stored_repo, rev or "main")
        readme = commit.files.get("README.md")
        info = {
            "id": repo,
            "modelId": repo,
            "author": repo.split("/")[0],
            "sha": commit.oid,
            "private": stored_repo.private,
            "lastModified": commit.date,
            "createdAt": stored_repo.commits[0].date,
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
            "cardData": _front_matter(readme.content.decode()) if readme is not None else None,
        }
        if stored_repo.repo_type == "space":
            del info["modelId"]
            info.update(sdk=stored_repo.sdk, runtime={"stage": "BUILDING", "hardware": {"current": None}})
        return 200, {}, info

    def handle_tree(
        self, kind: str, repo: str, rev: str, path: str | None, query: dict, authorization: str | None, **_
    ):
        commit = self._commit(self._repo(repo, authorization, kind), rev)
        prefix = f"{unquote(path).strip('/')}/" if path else ""
        recursive = query.get("recursive", ["False"])[0].lower() == "true"
        entries, folders = [], set()
        for file_path, stored in sorted(commit.files.items()):
            if not file_path.startswith(prefix):
                continue
            parts = file_path[len(prefix) :].split("/")
            if not recursive and len(parts) > 1:
                folders.add(prefix + parts[0])
                continue
            folders.update(prefix + "/".join(parts[:depth]) for depth in range(1, len(parts)))
            entry = {"type": "file", "path": file_path, "size": len(stored.content), "oid": stored.oid}
            if stored.lfs:
                entry["lfs"] = {
                    "oid": stored.sha256,
                    "size": len(stored.content),
                    "pointerSize": len(lfs_pointer(stored.content)),
                }
            entries.append(entry)
        folder_entries = [
            {"type": "directory", "path": folder, "size": 0, "oid": hashlib.sha1(folder.encode()).hexdigest()}
            for folder in sorted(folders)
        ]
        if prefix and not entries and not folder_entries:
            raise HubError(404, f"{prefix} does not exist on main", "EntryNotFound")
        return 200, {}, folder_entries + entries

    def handle_preupload(self, kind: str, repo: str, rev: str, body: dict, authorization: str | None, **_) -> tuple:
        self._check_write_access(authorization)
        commit = self._commit(self._repo(repo, authorization, kind), rev)
        answers = []
        for item in body["files"]:
            sample = base64.b64decode(item["sample"])
            lfs = b"\0" in sample or item["size"] >= LFS_THRESHOLD_BYTES
            existing = commit.files.get(item["path"])
            remote_oid = None
            if existing is not None:
                remote_oid = existing.sha256 if existing.lfs else existing.oid
            answers.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": remote_oid,
                }
            )
        return 200, {}, {"files": answers, "commitOid": commit.oid}

    def handle_lfs_batch(self, kind: str | None, repo: str, body: dict, authorization: str | None, **_) -> tuple:
        self._check_write_access(authorization)
        self._repo(repo, authorization, kind)
        if body.get("operation") != "upload" or "basic" not in body.get("transfers", ["basic"]):
            raise HubError(400, "The local hub supports LFS uploads with the basic transfer only.")
        objects = []
        for item in body["objects"]:
            answer = {"oid": item["oid"], "size": item["size"]}
            with self._lock:
                present = item["oid"] in self.lfs_objects
            if not present:
                href = f"{self.endpoint}/lfs-storage/{item['oid']}"
                answer["actions"] = {"upload": {"href": href}, "verify": {"href": f"{href}/verify"}}
            objects.append(answer)
        return 200, {}, {"transfer": "basic", "objects": objects}

    def handle_lfs_upload(self, oid: str, raw_body: bytes, **_) -> tuple:
        if hashlib.sha256(raw_body).hexdigest() != oid:
            raise HubError(400, f"The uploaded content does not match its sha256 {oid}.")
        with self._lock:
            self.lfs_objects[oid] = raw_body
        return 200, {}, None

    def handle_lfs_verify(self, oid: str, body: dict, **_) -> tuple:
        with self._lock:
            stored = self.lfs_objects.get(oid)
        if stored is None or len(stored) != body.get("size"):
            raise HubError(404, f"LFS object {oid} of size {body.get('size')} was not uploaded.")
        return 200, {}, {"message": "ok"}

    def handle_commit(self, kind: str, repo: str, rev: str, raw_body: bytes, authorization: str | None, **_) -> tuple:
        self._check_write_access(authorization)
        stored_repo = self._repo(repo, authorization, kind)
        lines = [json.loads(line) for line in raw_body.decode().splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "A commit payload starts with a header line.")
        with self._lock:
            parent = self._commit(stored_repo, rev)
            expected_parent = lines[0]["value"].get("parentCommit")
            if expected_parent is not None and expected_parent != parent.oid:
                raise HubError(412, f"A commit has happened since {expected_parent}; parent is now {parent.oid}.")
            files = dict(parent.files)
            for line in lines[1:]:
                key, value = line["key"], line["value"]
                if key == "file":
                    files[value["path"]] = StoredFile(base64.b64decode(value["content"]), lfs=False)
                elif key == "lfsFile":
                    content = self.lfs_objects.get(value["oid"])
                    if content is None:
                        raise HubError(422, f"LFS object {value['oid']} for {value['path']} was never uploaded.")
                    files[value["path"]] = StoredFile(content, lfs=True)
                elif key == "deletedFile":
                    if files.pop(value["path"], None) is None:
                        raise HubError(404, "A file with this name doesn't exist", "EntryNotFound")
                elif key == "deletedFolder":
                    folder = value["path"].rstrip("/") + "/"
                    files = {path: stored for path, stored in files.items() if not path.startswith(folder)}
                else:
                    raise HubError(400, f"The local hub does not support {key!r} commit operations.")
            commit = self._new_commit(stored_repo, lines[0]["value"]["summary"], files)
        url = f"{self.endpoint}/{_key(kind, repo)}/commit/{commit.oid}"
        return 200, {}, {"commitUrl": url, "commitOid": commit.oid}

    def handle_space_variables(self, kind: str, repo: str, body: dict, authorization: str | None, **_) -> tuple:
        self._check_write_access(authorization)
        stored_repo = self._repo(repo, authorization, kind)
        with self._lock:
            stored_repo.variables[body["key"]] = body["value"]
            variables = dict(stored_repo.variables)
        return 200, {}, {key: {"value": value, "updatedAt": _now()} for key, value in variables.items()}

    def handle_resolve(self, kind: str | None, repo: str, rev: str, path: str, authorization: str | None, **_):
        commit = self._commit(self._repo(repo, authorization, kind), rev)
        stored = commit.files.get(unquote(path))
        if stored is None:
            raise HubError(404, f"Entry not found: {unquote(path)}", "EntryNotFound")
        headers = {
            "X-Repo-Commit": commit.oid,
            "ETag": f'"{stored.oid}"',
            "Content-Type": "application/octet-stream",
        }
        if stored.lfs:
            headers.update({"X-Linked-Etag": f'"{stored.sha256}"', "X-Linked-Size": str(len(stored.content))})
        return 200, headers, stored.content


class _HubRequestHandler(BaseHTTPRequestHandler):
    """Serves one request to `hub`: routes it to the hub's `handle_*` method and sends back its answer."""

    protocol_version = "HTTP/1.1"
    hub: LocalHub

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunks()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _read_chunks(self) -> bytes:
        """A body sent with `Transfer-Encoding: chunked`: sized chunks up to an empty one, then trailers."""
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline().strip():  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, status: int, headers: dict, body) -> None:
        if isinstance(body, bytes):
            payload = body
        else:
            payload = b"" if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **headers}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        raw_body = self._read_body() if self.command in ("POST", "PUT") else b""
        route = _route(self.command, url.path)
        if route is None:
            self.hub.unhandled.append(f"{self.command} {self.path}")
            self._send(404, {}, {"error": f"The local hub has no route for {self.command} {url.path}."})
            return
        name, match = route
        self.hub.requests.append((self.command, name))
        self._send(*self._answer(name, match, url.query, raw_body))

    def _answer(self, name: str, match: re.Match, query: str, raw_body: bytes) -> tuple:
        """`(status, headers, body)`: what the hub's handler of the route `name` returns, or the error it raises."""
        content_type = self.headers.get("Content-Type", "").split(";")[0]
        try:
            self.hub._check_failure(name)
            arguments = dict(
                match.groupdict(),
                query=parse_qs(query),
                raw_body=raw_body,
                body=json.loads(raw_body) if content_type in _JSON_TYPES and raw_body else {},
                authorization=self.headers.get("Authorization"),
            )
            return getattr(self.hub, f"handle_{name.replace('-', '_')}")(**arguments)
        except HubError as error:
            headers = {"X-Error-Message": error.message}
            if error.error_code is not None:
                headers["X-Error-Code"] = error.error_code
            return error.status, headers, {"error": error.message}
        except Exception as error:  # a bug in this server: answer it instead of dropping the connection
            return 500, {"X-Error-Message": repr(error)}, {"error": repr(error)}

    do_GET = do_HEAD = do_POST = do_PUT = _dispatch


def _make_handler(hub: LocalHub) -> type[BaseHTTPRequestHandler]:
    """The request handler class of `hub`'s server (which makes one handler per request)."""
    return type("Handler", (_HubRequestHandler,), {"hub": hub})


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve an in-memory local Hub until Ctrl-C.")
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    with LocalHub(port=port) as hub:
        print(f"Local hub at {hub.endpoint}; run clients with HF_ENDPOINT={hub.endpoint} HF_HUB_DISABLE_XET=1")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
