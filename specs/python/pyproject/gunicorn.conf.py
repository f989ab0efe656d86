# gunicorn reads this from its working folder (/app): the one file the image needs
# besides the installed package.
bind = "0.0.0.0:8000"
accesslog = "-"
workers = 2
