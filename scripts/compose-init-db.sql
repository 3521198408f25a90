-- One database per app in the docker-compose stack.
CREATE DATABASE django_app;
CREATE DATABASE litestar_app;
