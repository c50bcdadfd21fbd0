"""Tools that drive the whole window from outside: the install's ``--smoke`` check and the
screenshot tool. They sit above ``ui`` (they build a window and press its buttons); nothing in
the app imports them except ``__main__`` for ``--smoke``.
"""
