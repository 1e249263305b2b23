"""`pysynth map`: an interactive HTML map (and optionally a PNG) of a dataset's clips."""

from __future__ import annotations


def add_parser(sub):
    p = sub.add_parser(
        "map",
        help="map a dataset's clips in 2-D: HTML page (hover, click to play), PNG",
        description="Compute per-clip features (cached in the dataset), lay the clips out in "
        "2-D and write a self-contained HTML page (hover shows the clip, click plays it, "
        "scroll zooms, drag pans) and optionally a PNG. --overlay places generated clips on "
        "the same map and lists their nearest dataset clips in a CSV. --selection FILE "
        "--copy-to OUT copies the clips selected and exported on the page into OUT instead.",
    )
    p.add_argument("dataset", help="a curated dataset folder")
    p.add_argument("-o", "--output", "--html", dest="html", default="map.html",
                   help="HTML page to write (default: map.html)")
    p.add_argument("--no-html", action="store_true", help="do not write the HTML page")
    p.add_argument("--png", help="also write a PNG (for --reducer som: the U-matrix grid)")
    p.add_argument("--features", default=None,
                   help="feature groups, comma-separated: mfcc,spectral,rms,zcr,logmel "
                   "(default: all)")
    p.add_argument("--reducer", default="tsne",
                   help="tsne (default), pca, umap (needs pysynth[umap]), som, or a plugin's")
    p.add_argument("--overlay", metavar="DIR",
                   help="folder of generated audio files to place on the same map")
    p.add_argument("-k", "--neighbours", type=int, default=5, dest="k",
                   help="nearest dataset clips listed per overlay file (default: 5)")
    p.add_argument("--csv", help="where to write the overlay neighbours "
                   "(default: <page>-neighbours.csv)")
    p.add_argument("--color-by", default="auto",
                   choices=("auto", "cluster", "label", "split", "none"),
                   help="colouring of the PNG and the page's initial colouring (default: auto)")
    p.add_argument("--cluster", choices=("kmeans", "dbscan"),
                   help="cluster the clips for colours")
    p.add_argument("--clusters", type=int, dest="n_clusters", help="number of k-means clusters")
    p.add_argument("--audio", choices=("inline", "relative", "none"), default="inline",
                   help="embed clips in the page (inline, default), link them relative to the "
                   "page (relative: for big sets), or none")
    p.add_argument("--split", choices=("train", "validation", "test"),
                   help="map only one split")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the "
                   "feature cache and saved t-SNE layouts in DATASET/.cache")
    p.add_argument("--title", help="page and figure title")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--selection", metavar="FILE",
                   help="a selection.json exported by the page: with --copy-to, copy its clips "
                   "out (no map is made)")
    p.add_argument("--copy-to", metavar="OUT", help="folder to copy the --selection's clips into")
    return p


def run(args) -> int:
    import pysynth

    from ..words import count

    if args.selection or args.copy_to:
        return _copy_selection(args)
    html = None if args.no_html else args.html
    result = pysynth.map(
        args.dataset, html=html, png=args.png, features=args.features, reducer=args.reducer,
        overlay=args.overlay, color_by=args.color_by, cluster=args.cluster,
        n_clusters=args.n_clusters, k=args.k, seed=args.seed, audio=args.audio,
        split=args.split, csv_path=args.csv, cache=not args.no_cache, title=args.title,
        progress=not args.quiet,
    )
    written = [str(p) for p in (result.html, result.png, result.csv) if p is not None]
    msg = f"mapped {count(len(result), 'clip')} with {result.reducer}"
    if len(result.overlay_paths):
        msg += f" and {count(len(result.overlay_paths), 'generated clip')}"
    print(msg + (": wrote " + ", ".join(written) if written else ""))
    return 0


def _copy_selection(args) -> int:
    from ..errors import ParameterError
    from ..mapping.selection import copy_selection
    from ..words import count

    if not (args.selection and args.copy_to):
        raise ParameterError("--selection and --copy-to go together: the selection to copy, "
                             "and the folder to copy it into")
    written = copy_selection(args.selection, args.copy_to, dataset=args.dataset)
    print(f"copied {count(len(written), 'selected clip')} into {args.copy_to}")
    return 0
