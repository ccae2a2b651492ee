"""What the example scripts share, kept out of ``examples/`` so that every file there is a
script to run: the article's models (``article_models``), micrograd's expression
(``micrograd_expression``), the article's batch norm in NumPy (``numpy_batchnorm``), and the
scripts' command lines (``cli``) and figures (``plotting``). Scripts import them as
``from _shared import cli``; the tests and notebooks put ``examples/`` on ``sys.path`` first."""
