"""Where GT.M lives, which database to open, and our routine compiled for this GT.M.

GT.M reads its configuration from the process environment when ``gtm_init`` runs: ``gtm_dist``
(the installation), ``gtmgbldir`` (the global directory naming the database files),
``gtmroutines`` (where routines and their objects are; it must include
``$gtm_dist/libgtmutil.so``) and ``GTMCI`` (the call-in table).  :func:`discover` finds or takes
each of them, compiles our routine ``VBRIDGE.m`` (shipped in this package) into a per-user
object directory on first use (``~/.cache/vista-bridge/gtm/<GT.M version>/<source hash>/``),
generates the call-in table there, and reports a :class:`GtmNotFoundError` or
:class:`DatabaseMissingError` that says what to set when something is missing.
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from globals_map.errors import StoreError

ROUTINE = "VBRIDGE"
# GT.M spells its variables in lower case.
_ENV_DIST, _ENV_GBLDIR, _ENV_ROUTINES = "gtm_dist", "gtmgbldir", "gtmroutines"
_DEBIAN_GLOB = "/usr/lib/x86_64-linux-gnu/fis-gtm/V*"
_OTHER_PLACES = ("/usr/local/lib/fis-gtm/*", "/opt/fis-gtm/*", "/usr/lib/fis-gtm/*")

#: The call-in table: C name, return type, M entry point and parameter types.  Strings travel
#: as gtm_string_t (length + address), integers as gtm_long_t.
CALL_INS: tuple[tuple[str, str], ...] = (
    ("vb_get", "gtm_long_t* GET^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,O:gtm_string_t*)"),
    ("vb_data", "gtm_long_t* DATA^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*)"),
    ("vb_set", "gtm_long_t* SET^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,I:gtm_string_t*)"),
    ("vb_kill", "gtm_long_t* KILL^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,I:gtm_long_t)"),
    (
        "vb_order",
        "gtm_long_t* ORDER^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,I:gtm_string_t*,"
        "I:gtm_long_t,O:gtm_string_t*)",
    ),
    ("vb_query", "gtm_long_t* QUERY^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,O:gtm_string_t*)"),
    ("vb_setm", "gtm_long_t* SETM^VBRIDGE(I:gtm_string_t*)"),
    ("vb_atomic", "gtm_long_t* ATOMIC^VBRIDGE(I:gtm_string_t*)"),
    (
        "vb_read",
        "gtm_long_t* READ^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,I:gtm_string_t*,"
        "I:gtm_long_t,I:gtm_long_t,I:gtm_long_t,O:gtm_string_t*)",
    ),
    ("vb_names", "gtm_long_t* NAMES^VBRIDGE(I:gtm_string_t*,O:gtm_string_t*)"),
    (
        "vb_lock",
        "gtm_long_t* LOCK^VBRIDGE(I:gtm_string_t*,I:gtm_string_t*,I:gtm_long_t,I:gtm_long_t)",
    ),
    ("vb_setgd", "gtm_long_t* SETGD^VBRIDGE(I:gtm_string_t*)"),
    ("vb_nop", "gtm_long_t* NOP^VBRIDGE()"),
)


class GtmNotFoundError(StoreError):
    """No usable GT.M installation (``libgtmshr.so``, ``mumps``, ``mupip``) was found."""


class DatabaseMissingError(StoreError):
    """The global directory, or a database file it names, does not exist."""


@dataclass(frozen=True)
class GtmEnvironment:
    """Everything GT.M needs before ``gtm_init``; :meth:`apply` puts it in ``os.environ``."""

    dist: Path
    gbldir: Path
    routines: str
    ci_table: Path
    object_dir: Path

    @property
    def library(self) -> Path:
        return self.dist / "libgtmshr.so"

    @property
    def mumps(self) -> Path:
        return self.dist / "mumps"

    @property
    def mupip(self) -> Path:
        return self.dist / "mupip"

    def variables(self) -> dict[str, str]:
        """The environment variables GT.M reads (also what a ``mumps`` subprocess needs)."""
        return {
            "gtm_dist": str(self.dist),
            "gtmgbldir": str(self.gbldir),
            "gtmroutines": self.routines,
            "GTMCI": str(self.ci_table),
            # Our routine counts bytes: $LENGTH and $EXTRACT must work on bytes, not characters.
            "gtm_chset": "M",
        }

    def apply(self) -> None:
        """Export :meth:`variables` into this process (GT.M reads them at ``gtm_init``)."""
        os.environ.update(self.variables())


def find_gtm_dist(gtm_dist: str | os.PathLike[str] | None = None) -> Path:
    """The GT.M installation directory: the argument, ``$gtm_dist``, or a known place."""
    candidates: list[str] = []
    if gtm_dist is not None:
        candidates.append(os.fspath(gtm_dist))
    elif os.environ.get(_ENV_DIST):
        candidates.append(os.environ[_ENV_DIST])
    else:
        candidates.extend(sorted(glob.glob(_DEBIAN_GLOB), reverse=True))
        for pattern in _OTHER_PLACES:
            candidates.extend(sorted(glob.glob(pattern), reverse=True))
    for cand in candidates:
        path = Path(cand)
        if all((path / f).exists() for f in ("libgtmshr.so", "mumps", "mupip")):
            return path
    where = ", ".join(candidates) if candidates else f"$gtm_dist or {_DEBIAN_GLOB}"
    raise GtmNotFoundError(
        f"GT.M not found (looked in {where}): install fis-gtm (apt-get install fis-gtm) or set "
        "gtm_dist to the directory holding libgtmshr.so, mumps and mupip"
    )


def gtm_version(dist: Path) -> str:
    """A short version tag for the object cache (``V7.0-005_x86_64`` on Debian)."""
    name = dist.name
    if name.startswith("V"):
        return name
    stat = (dist / "libgtmshr.so").stat()
    return (
        "gtm-" + hashlib.sha1(f"{dist}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    )


def routine_source() -> bytes:
    """The bytes of our shipped M routine."""
    return resources.files("globals_map.gtm").joinpath(f"{ROUTINE}.m").read_bytes()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vista-bridge" / "gtm"


def prepare_objects(dist: Path, cache_dir: Path | None = None) -> Path:
    """Compile ``VBRIDGE.m`` for this GT.M unless already done; returns the object directory.

    The directory name carries the GT.M version and a hash of the source, so an upgraded
    routine or GT.M gets fresh objects; files are written to a temporary name and renamed, so
    concurrent first uses by several processes are safe.
    """
    source = routine_source()
    digest = hashlib.sha256(source).hexdigest()[:16]
    objdir = (cache_dir or default_cache_dir()) / gtm_version(dist) / digest
    obj = objdir / f"{ROUTINE}.o"
    if obj.exists():
        return objdir
    objdir.mkdir(parents=True, exist_ok=True)
    src = objdir / f"{ROUTINE}.m"
    if not src.exists():
        _atomic_write(src, source)
    with tempfile.TemporaryDirectory(dir=objdir) as tmp:
        tmp_obj = Path(tmp) / f"{ROUTINE}.o"
        env = {**os.environ, "gtm_dist": str(dist), "gtm_chset": "M"}
        proc = subprocess.run(
            [str(dist / "mumps"), f"-object={tmp_obj}", str(src)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0 or not tmp_obj.exists():
            raise GtmNotFoundError(
                f"compiling {src} with {dist / 'mumps'} failed: "
                f"{(proc.stdout + proc.stderr).strip()[:500]}"
            )
        os.replace(tmp_obj, obj)
    return objdir


def write_ci_table(objdir: Path) -> Path:
    """Generate the call-in table beside our objects (from :data:`CALL_INS`)."""
    text = "".join(f"{name}: {sig}\n" for name, sig in CALL_INS)
    path = objdir / "vbridge.ci"
    if not path.exists() or path.read_text() != text:
        _atomic_write(path, text.encode())
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_gbldir(gbldir: Path) -> None:
    """Raise :class:`DatabaseMissingError` when the global directory file is absent."""
    if not gbldir.is_file():
        raise DatabaseMissingError(
            f"GT.M global directory {gbldir} does not exist: create it with GDE and the database "
            "with mupip create (see globals_map.engine_db), or set gtmgbldir / "
            "VISTA_BRIDGE_STORE__GBLDIR to an existing one"
        )


def discover(
    *,
    gtm_dist: str | os.PathLike[str] | None = None,
    gbldir: str | os.PathLike[str] | None = None,
    routines: str | None = None,
    cache_dir: Path | None = None,
) -> GtmEnvironment:
    """Build the environment from the arguments, else the process environment, else defaults.

    ``routines`` (or ``$gtmroutines``) is kept after our object directory, so a site's own
    routines stay reachable; ``$gtm_dist/libgtmutil.so`` is appended when missing.
    """
    dist = find_gtm_dist(gtm_dist)
    gld_text = os.fspath(gbldir) if gbldir is not None else os.environ.get(_ENV_GBLDIR, "")
    if not gld_text:
        raise DatabaseMissingError(
            "no GT.M global directory given: pass gbldir= or set gtmgbldir "
            "(VISTA_BRIDGE_STORE__GBLDIR in the bridge settings)"
        )
    gld = Path(gld_text).expanduser()
    check_gbldir(gld)
    objdir = prepare_objects(dist, cache_dir)
    ci_table = write_ci_table(objdir)
    rest = routines if routines is not None else os.environ.get(_ENV_ROUTINES, "")
    util = str(dist / "libgtmutil.so")
    ours = f"{objdir}({objdir})"
    parts = [p for p in rest.split() if p and p != ours]
    if not any(p.startswith(util) for p in parts):
        parts.append(util)
    return GtmEnvironment(
        dist=dist,
        gbldir=gld,
        routines=" ".join([ours, *parts]),
        ci_table=ci_table,
        object_dir=objdir,
    )
