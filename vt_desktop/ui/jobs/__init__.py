"""The Jobs page: the options form, the drop zone, the queue table and its view model."""
