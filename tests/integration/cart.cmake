# Cart against a real Redis (RedisServer::Shared()): the hiredis adapter in libs/redis and
# the Redis cart store.
mercato_test(cart_redis_client_test LABEL integration SOURCES cart_redis_client_test.cc
  LIBS mercato_redis)
mercato_test(cart_redis_store_test LABEL integration SOURCES cart_redis_store_test.cc
  LIBS cart_lib)
