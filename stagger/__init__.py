"""stagger: realtime RL with staggered asynchronous inference (Riemer et al., ICLR 2025).

Every package of the project is imported under this one namespace (``stagger.protocol``,
``stagger.nodes``, ``stagger.games``, ``stagger.agents``, ``stagger.launch``,
``stagger.measure``, ``stagger.benchmarks``), so installing stagger puts no generic top-level
names into site-packages. In the repository the packages stay top-level folders: an
installed wheel has them inside this package (setup.cfg's package_dir), and a checkout
(editable install, or the repository root on sys.path) finds them beside this folder.
"""
import os as _os

_here = _os.path.dirname(_os.path.abspath(__file__))
_checkout = _os.path.dirname(_here)
if (not _os.path.isdir(_os.path.join(_here, "protocol"))
        and _os.path.isfile(_os.path.join(_checkout, "protocol", "PROTOCOL.md"))):
    __path__.append(_checkout)  # noqa: F821 - a package's own __path__
